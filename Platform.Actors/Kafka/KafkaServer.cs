namespace Platform.Actors.Kafka;

/// <summary>Every API the Kafka listener serves, registered in one place: what ApiVersions advertises.</summary>
internal static class KafkaServer
{
    public static KafkaApis CreateApis(KafkaServices services)
    {
        var apis = new KafkaApis(services.System) { Metrics = services.Metrics };
        ApiVersionsHandler.Register(apis);
        MetadataHandler.Register(apis, services);
        ProduceHandler.Register(apis, services);
        FetchHandler.Register(apis, services);
        ListOffsetsHandler.Register(apis, services);
        FindCoordinatorHandler.Register(apis, services);
        InitProducerIdHandler.Register(apis, services);
        JoinGroupHandler.Register(apis, services);
        SyncGroupHandler.Register(apis, services);
        HeartbeatHandler.Register(apis, services);
        LeaveGroupHandler.Register(apis, services);
        OffsetCommitHandler.Register(apis, services);
        OffsetFetchHandler.Register(apis, services);
        DescribeGroupsHandler.Register(apis, services);
        ListGroupsHandler.Register(apis, services);
        DeleteGroupsHandler.Register(apis, services);
        CreateTopicsHandler.Register(apis, services);
        DeleteTopicsHandler.Register(apis, services);
        CreatePartitionsHandler.Register(apis, services);
        DescribeConfigsHandler.Register(apis, services);
        AlterConfigsHandler.Register(apis, services);
        DeleteRecordsHandler.Register(apis, services);
        DescribeClusterHandler.Register(apis, services);
        OffsetForLeaderEpochHandler.Register(apis, services);
        DescribeClusterMembersHandler.Register(apis, services);
        return apis;
    }
}

using Confluent.Kafka;
using Platform.Protocol.Messages;
using Platform.Specs.Support;

namespace Platform.Specs.Kafka;

/// <summary>Platform's DescribeClusterMembers extension (API key 32000), and that real Kafka clients ignore it.</summary>
[Trait("Category", "Kafka")]
public sealed class DescribeClusterMembersSpecs(KafkaNodeFixture fixture) : IClassFixture<KafkaNodeFixture>
{
    [Fact]
    public async Task The_extension_is_advertised_and_describes_each_member_with_what_it_hosts()
    {
        await fixture.CreateTopicAsync("members-topic", 3);
        using var client = await RawKafkaClient.ConnectAsync(fixture.Bootstrap);
        var versions = await client.SendAsync<ApiVersionsResponse>(ApiKey.ApiVersions, 3, new ApiVersionsRequest(),
            ApiVersionsRequest.HeaderVersion, ApiVersionsResponse.HeaderVersion, ApiVersionsResponse.Read);
        Assert.Contains(versions.ApiKeys, k => k.ApiKey == (short)ApiKey.DescribeClusterMembers && k.MaxVersion == 0);

        var response = await Eventually.ValueAsync(
            () => client.SendAsync<DescribeClusterMembersResponse>(ApiKey.DescribeClusterMembers, 0, new DescribeClusterMembersRequest(),
                DescribeClusterMembersRequest.HeaderVersion, DescribeClusterMembersResponse.HeaderVersion, DescribeClusterMembersResponse.Read),
            r => r.Members.Sum(m => m.Partitions) >= 3, "members hosting all 3 partitions", TimeSpan.FromSeconds(20), TimeSpan.Zero);
        Assert.Equal(0, response.ErrorCode);
        var member = Assert.Single(response.Members);
        Assert.Equal(("Up", true), (member.Status, member.Reachable));
        Assert.Equal(member.Address, response.Leader);
        Assert.Contains(member.Roles, r => r.StartsWith("kafka=", StringComparison.Ordinal));
        Assert.True(member.Partitions >= 3, $"{member.Partitions} partitions");

        // The node id is the one Metadata gives the same member.
        using var admin = new AdminClientBuilder(fixture.AdminConfig()).Build();
        Assert.Equal(admin.GetMetadata(TimeSpan.FromSeconds(10)).Brokers.Single().BrokerId, member.NodeId);
    }
}

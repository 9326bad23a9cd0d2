namespace Platform.Host;

/// <summary>The help text: every command with its options, as the README documents them.</summary>
internal static class Usage
{
    public const string Text = """
        Platform: a Kafka-style streaming platform on Akka.NET.

        platform [node] [--data-dir DIR] [--host H] [--port P] [--config FILE] [--seed HOST:PORT]...
                        [--kafka-port N] [--kafka-advertised HOST:PORT] [--http-port N]
                        [--storage sqlite|postgres --connection-string CS]
                        [--tls-cert FILE.p12 [--tls-cert-password PW] --tls-ca CA.crt] [--require-tls]
                        [--log-level DEBUG|INFO|WARNING|ERROR] [--log-format text|json]
            Run a node: a cluster of one on the embedded SQLite store, or a member of the cluster its
            seeds belong to. Remoting between nodes runs over mutual TLS with certificates of the cluster's
            CA; without them a node alone binds remoting to 127.0.0.1, and a node with seeds warns (or, with
            --require-tls, refuses to start). Health and metrics over HTTP on --http-port (default 8080):
            /health/live, /health/ready, /metrics. Environment: PLATFORM_DATA_DIR, PLATFORM_HOST, PLATFORM_PORT,
            PLATFORM_KAFKA_PORT, PLATFORM_KAFKA_ADVERTISED, PLATFORM_HTTP_PORT, PLATFORM_SEEDS, PLATFORM_STORAGE,
            PLATFORM_CONNECTION_STRING, PLATFORM_TLS_CERT, PLATFORM_TLS_CERT_PASSWORD, PLATFORM_TLS_CA,
            PLATFORM_REQUIRE_TLS=true.

        platform certs create --out DIR [--nodes N1,N2,...] [--password PW] [--days D] [--ca-name NAME]
            A CA for the cluster (DIR/ca.crt, its key in DIR/ca.p12) and a PKCS#12 certificate per node
            (DIR/N1.p12, ...; password from --password, PLATFORM_TLS_CERT_PASSWORD, or made up and written
            to DIR/password). Again on the same DIR adds nodes under the same CA.

        Client commands take --bootstrap-server HOST:PORT[,HOST:PORT...]
        (a node's Kafka listener; default: PLATFORM_BOOTSTRAP_SERVER or 127.0.0.1:9092).

        platform cluster status
            Members with status, roles, reachability and the partitions and groups each hosts; the leader.
        platform topics create NAME --partitions N [--config key=value]...
        platform topics list
        platform topics describe NAME
        platform topics delete NAME
        platform topics alter NAME --partitions N
        platform produce TOPIC [--key-separator S]
            One record per line of standard input. Exits 0 only when every record was acknowledged.
        platform consume TOPIC [--from-beginning] [--partition N [--offset N]] [--max-messages N]
                               [--timeout-ms N] [--print-key] [--print-offset]
            One value per line on standard output (key and offset first, tab-separated, when asked).
        platform consume TOPIC --group G [--from-beginning] [--max-messages N] [--timeout-ms N] ...
            Joins group G: the group assigns partitions; what is printed is committed.
        platform groups list
        platform groups describe G
        platform groups reset-offsets G --topic T (--to-earliest | --to-latest | --to-offset N |
                                       --to-datetime ISO8601 | --shift-by N) [--execute]
        platform groups delete G
        platform bench [--scenario throughput|paced|large] [--records N] [--record-size B] [--partitions P]
                       [--producers K] [--rate R] [--batch-size B] [--linger-ms N] [--warmup-records N]
                       [--node-pid PID] [--keep] [--kafka]
            Create a topic, produce, consume it back, and print throughput and latency figures, the load
            average (and the node's peak memory with --node-pid), then one JSON line with every figure.
        platform bench --groups [--members N] [--partitions P] [--initial-rebalance-delay-ms N]
            Time until a group of N members is assigned, and until a crashed member's partitions are consumed again.
        platform bench --streams [--rounds R] [--records N] [--record-size B] [--partitions P] [--parallelism N] ...: plain client vs PlainSink/PlainSource
        """;

    public static int Print(TextWriter writer, int exitCode)
    {
        writer.WriteLine(Text);
        return exitCode;
    }
}

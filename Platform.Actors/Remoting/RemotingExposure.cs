namespace Platform.Actors.Remoting;

/// <summary>How a node's Akka.Remote port may be reached.</summary>
public enum RemotingExposure
{
    /// <summary>No certificates and no seeds (the embedded single node): bound to 127.0.0.1 only.</summary>
    Loopback,

    /// <summary>Mutual TLS with certificates of the cluster's CA: bound to the node's host.</summary>
    MutualTls,

    /// <summary>Seeds but no certificates: bound to the node's host, open to anyone who reaches it.</summary>
    Unprotected,
}

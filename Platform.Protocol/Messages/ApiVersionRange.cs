namespace Platform.Protocol.Messages;

/// <summary>One API's supported versions: a row of the ApiVersions response and the check before decoding a request.</summary>
public readonly record struct ApiVersionRange(ApiKey Key, short MinVersion, short MaxVersion);

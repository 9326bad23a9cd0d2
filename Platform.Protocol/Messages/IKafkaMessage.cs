using Platform.Protocol.Wire;

namespace Platform.Protocol.Messages;

/// <summary>
/// A request or response body that can encode itself at a version, so the framing code writes any message
/// without knowing its type; decoding goes through each message's static <c>Read</c> or <see cref="ApiVersionsTable"/>.
/// </summary>
public interface IKafkaMessage
{
    void Write(KafkaWriter writer, short version);
}

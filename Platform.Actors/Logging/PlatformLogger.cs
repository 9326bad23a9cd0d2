using Akka.Actor;
using Akka.Dispatch;
using Akka.Event;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using AkkaLevel = Akka.Event.LogLevel;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;

namespace Platform.Actors.Logging;

/// <summary>
/// The node's Akka logger (<c>akka.loggers</c>): every log event of the ActorSystem, from our actors and from Akka's,
/// written through Microsoft.Extensions.Logging's console provider as one line per event, text or JSON
/// (<c>platform.log.format</c>), keeping the message template and its named values (<c>{Topic}</c>, <c>{Partition}</c>)
/// as fields in JSON. Repeated warnings and errors of one cause are counted, not written (<see cref="RepeatFilter"/>).
/// <para>
/// Why Microsoft.Extensions.Logging and not Serilog: it ships in the ASP.NET Core shared framework the node already
/// runs on for its HTTP endpoint, so the console and JSON formatters cost no package, and its templates are the ones
/// Akka's semantic logging already uses. Its console provider writes from a queue on a thread of its own, so this actor
/// never waits on the terminal.
/// </para>
/// </summary>
public sealed class PlatformLogger : ReceiveActor, IRequiresMessageQueue<ILoggerMessageQueueSemantics>, IWithTimers
{
    private const string TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";

    private sealed class FlushRepeats
    {
        public static readonly FlushRepeats Instance = new();
    }

    private readonly LogSettings _settings;
    private readonly ILoggerFactory _factory;
    private readonly Dictionary<string, ILogger> _loggers = new();
    private readonly RepeatFilter _repeats = new();

    public PlatformLogger()
    {
        _settings = LogSettings.Create(Context.System.Settings.Config);
        var json = _settings.Json;
        _factory = LoggerFactory.Create(builder =>
        {
            builder.SetMinimumLevel(LogLevel.Trace); // akka.loglevel decides what reaches this actor
            if (json)
                builder.AddJsonConsole(o =>
                {
                    o.UseUtcTimestamp = true;
                    o.TimestampFormat = TimestampFormat.TrimEnd();
                });
            else
                builder.AddSimpleConsole(o =>
                {
                    o.SingleLine = true;
                    o.UseUtcTimestamp = true;
                    o.TimestampFormat = TimestampFormat;
                    o.ColorBehavior = LoggerColorBehavior.Disabled;
                });
        });
        Receive<InitializeLogger>(_ => Sender.Tell(new LoggerInitialized()));
        Receive<LogEvent>(Write);
        Receive<FlushRepeats>(_ =>
        {
            foreach (var repeats in _repeats.Flush(DateTime.UtcNow, _settings.RepeatInterval))
                Logger(repeats.Source).Log((LogLevel)repeats.Level, "{Count} more in the last {Interval} like: {Template}",
                    repeats.Count, _settings.RepeatInterval, repeats.Template);
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void PreStart() => Timers.StartPeriodicTimer("repeats", FlushRepeats.Instance, _settings.RepeatInterval);

    protected override void PostStop() => _factory.Dispose(); // flushes what the console provider has queued

    private void Write(LogEvent e)
    {
        var level = Level(e.LogLevel());
        var (template, args) = e.Message is LogMessage message ? (message.Format, message.Parameters().ToArray()) : ("{Message}", new[] { e.Message });
        var cause = e.Cause;
        if (RemotingFrameRefusal.Remote(e) is { } remote)
            (level, template, args, cause) = (LogLevel.Warning, RemotingFrameRefusal.Template, [remote, cause!.Message], null);
        // Warnings and errors are what repeats when something is broken (every partition, every write); information
        // is one line per event of the node's life (a topic created, a member removed) and is written as it comes.
        if (level >= LogLevel.Warning && !_repeats.Admit((int)level, template, e.LogSource, DateTime.UtcNow, _settings.RepeatInterval)) return;
        // Akka's own messages use positional placeholders ("{0}"), not always in order: formatted by Akka, not by name.
        if (Positional(template)) (template, args) = ("{Message}", [e.Message?.ToString()]);
        var logger = Logger(e.LogSource);
        try
        {
            if (cause is not null && !_settings.Json)
                // A stack trace would take a screen of lines: text keeps the cause on the event's one line.
                logger.Log(level, template + " ({ErrorType}: {Error})", [.. args, cause.GetType().Name, cause.Message.ReplaceLineEndings(" ")]);
            else
                logger.Log(level, cause, template, args);
        }
        catch (FormatException)
        {
            // A message whose braces are not a template (Akka formats some itself): written as it is.
            logger.Log(level, cause, "{Message}", e.Message?.ToString());
        }
    }

    private static bool Positional(string template)
    {
        var brace = template.IndexOf('{');
        return brace >= 0 && brace + 1 < template.Length && char.IsAsciiDigit(template[brace + 1]);
    }

    private ILogger Logger(string source)
    {
        if (!_loggers.TryGetValue(source, out var logger))
        {
            logger = _factory.CreateLogger(source);
            if (_loggers.Count < 10_000) _loggers[source] = logger; // bounded: sources include every partition's path
        }
        return logger;
    }

    private static LogLevel Level(AkkaLevel level) => level switch
    {
        AkkaLevel.DebugLevel => LogLevel.Debug,
        AkkaLevel.InfoLevel => LogLevel.Information,
        AkkaLevel.WarningLevel => LogLevel.Warning,
        _ => LogLevel.Error,
    };
}

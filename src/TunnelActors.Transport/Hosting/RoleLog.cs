using Microsoft.Extensions.Logging;

namespace TunnelActors.Transport.Hosting;

/// <summary>Supervision in every role: stable event ids 7001–7099, field Actor (its path).</summary>
public static partial class RoleLog
{
    [LoggerMessage(EventId = 7001, Level = LogLevel.Error, Message = "{Actor} failed and was stopped ({Consequence})")]
    public static partial void ChildFailed(ILogger log, Exception error, string actor, string consequence);

    [LoggerMessage(EventId = 7002, Level = LogLevel.Critical, Message = "{Actor} stopped unexpectedly; stopping the process (exit code 1) so that it is restarted whole")]
    public static partial void EssentialStopped(ILogger log, string actor);

    [LoggerMessage(EventId = 7004, Level = LogLevel.Critical,
        Message = "The cluster downed this node (it was unreachable for too long: a pause or a partition); exiting with code {ExitCode} so that it is restarted and joins again")]
    public static partial void Downed(ILogger log, int exitCode);

    [LoggerMessage(EventId = 7003, Level = LogLevel.Information, Message = "Quiet after a burst: memory trimmed from {BeforeMiB} MiB to {AfterMiB} MiB")]
    public static partial void MemoryTrimmed(ILogger log, long beforeMiB, long afterMiB);
}

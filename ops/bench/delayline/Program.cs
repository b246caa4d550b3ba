using System.Net;
using System.Net.Sockets;
using TunnelActors.DelayLine;

// delayline --rtt-ms 40 --rate-mbit 800 LISTEN_PORT=TARGET_PORT [LISTEN_PORT=TARGET_PORT ...]
// Every pair forwards 127.0.0.1:LISTEN to 127.0.0.1:TARGET over one emulated link: half the round
// trip each way, the rate cap per direction shared by all connections (as on one path).
// Terminates TCP on both sides, so only application-level flow control sees the delay.
var rttMs = 40.0; var rateMbit = 800.0; var pairs = new List<(int Listen, int Target)>();
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--rtt-ms": rttMs = double.Parse(args[++i]); break;
        case "--rate-mbit": rateMbit = double.Parse(args[++i]); break;
        default:
            var parts = args[i].Split('=');
            if (parts.Length != 2 || !int.TryParse(parts[0], out var l) || !int.TryParse(parts[1], out var t))
            {
                Console.Error.WriteLine($"delayline: expected LISTEN_PORT=TARGET_PORT, got '{args[i]}'");
                return 2;
            }
            pairs.Add((l, t));
            break;
    }
}
if (pairs.Count == 0) { Console.Error.WriteLine("usage: delayline --rtt-ms MS --rate-mbit MBIT LISTEN_PORT=TARGET_PORT..."); return 2; }

var oneWay = TimeSpan.FromMilliseconds(rttMs / 2);
var rate = (long)(rateMbit * 1e6 / 8);
var (forward, back) = (new Wire(rate, oneWay), new Wire(rate, oneWay));
using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
AppDomain.CurrentDomain.ProcessExit += (_, _) => stop.Cancel();

var listeners = pairs.Select(p => Serve(p.Listen, p.Target)).ToList();
Console.WriteLine($"delayline: rtt {rttMs} ms, {rateMbit} Mbit/s each way, {string.Join(", ", pairs.Select(p => $"{p.Listen}->{p.Target}"))}");
try { await Task.WhenAll(listeners); } catch (OperationCanceledException) { }
return 0;

async Task Serve(int listenPort, int targetPort)
{
    using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
    listener.Bind(new IPEndPoint(IPAddress.Loopback, listenPort));
    listener.Listen(4096);
    while (!stop.IsCancellationRequested)
    {
        var client = await listener.AcceptAsync(stop.Token);
        _ = Relay(client, targetPort);
    }
}

async Task Relay(Socket client, int targetPort)
{
    using var target = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    using var _ = client;
    try
    {
        client.NoDelay = target.NoDelay = true;
        // A connection's handshake crosses the link once each way before the first byte, as on a real path.
        await Task.Delay(oneWay * 2, stop.Token);
        await target.ConnectAsync(new IPEndPoint(IPAddress.Loopback, targetPort), stop.Token);
        using var cut = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
        var up = Pump.RunAsync(client, target, forward, cut.Token);
        var down = Pump.RunAsync(target, client, back, cut.Token);
        // A failed direction (a reset) ends both: nothing may be half-delivered silently.
        var first = await Task.WhenAny(up, down);
        if (first.IsFaulted) cut.Cancel();
        await Task.WhenAll(up, down);
    }
    catch (Exception e) when (e is SocketException or OperationCanceledException or IOException)
    {
        client.LingerState = new LingerOption(true, 0); // reset the other side too
    }
}

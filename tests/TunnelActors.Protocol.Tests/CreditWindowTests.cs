using FsCheck.Xunit;

namespace TunnelActors.Protocol.Tests;

public sealed class CreditWindowTests
{
    [Fact]
    public void TakeSendCredit_NeverMoreThanGranted()
    {
        var window = new CreditWindow(sendWindow: 100, receiveWindow: 100);

        Assert.Equal(60, window.TakeSendCredit(60));
        Assert.Equal(40, window.TakeSendCredit(60));
        Assert.Equal(0, window.TakeSendCredit(1));
        window.OnWindowUpdate(10);
        Assert.Equal(10, window.TakeSendCredit(50));
    }

    [Fact]
    public void OnWindowUpdate_Zero_IsFlowControlError()
    {
        var error = Assert.Throws<ProtocolException>(() => new CreditWindow(10, 10).OnWindowUpdate(0));

        Assert.Equal(ProtocolError.FlowControl, error.Error);
    }

    [Fact]
    public void OnWindowUpdate_PastTwoToThe31_IsFlowControlError()
    {
        var window = new CreditWindow(CreditWindow.MaxWindow - 5, 10);

        var error = Assert.Throws<ProtocolException>(() => window.OnWindowUpdate(6));

        Assert.Equal(ProtocolError.FlowControl, error.Error);
    }

    [Fact]
    public void OnDataReceived_BeyondWindow_IsFlowControlError()
    {
        var window = new CreditWindow(10, receiveWindow: 100);
        window.OnDataReceived(100);

        var error = Assert.Throws<ProtocolException>(() => window.OnDataReceived(1));

        Assert.Equal(ProtocolError.FlowControl, error.Error);
        Assert.Contains("only 0 bytes of window left", error.Message);
    }

    [Fact]
    public void OnDataConsumed_GrantsOnlyAfterAQuarterWindow()
    {
        var window = new CreditWindow(10, receiveWindow: 1000);
        window.OnDataReceived(1000);

        Assert.Equal(0u, window.OnDataConsumed(100));
        Assert.Equal(0u, window.OnDataConsumed(149));
        Assert.Equal(250u, window.OnDataConsumed(1));
        window.OnDataReceived(250); // the granted credit is usable again
    }

    /// <summary>
    /// A sender that respects its credit and a receiver that grants as it consumes never
    /// disagree: no flow-control error, every byte delivered, grants never exceed consumption.
    /// </summary>
    [Property(MaxTest = 300)]
    public bool SenderRespectingCredit_NeverViolatesReceiverWindow(ushort[] writes, byte windowKiB)
    {
        var windowSize = (uint)(windowKiB + 1) * 1024;
        var sender = new CreditWindow(windowSize, windowSize);   // its send side mirrors...
        var receiver = new CreditWindow(windowSize, windowSize); // ...this receive side
        var inFlight = new Queue<int>();
        long sent = 0, consumed = 0, granted = 0;

        foreach (var write in writes)
        {
            var left = (int)write;
            while (left > 0)
            {
                var credit = sender.TakeSendCredit(left);
                if (credit == 0)
                {
                    // Stalled: the receiver's reader consumes what arrived, which grants more credit.
                    if (inFlight.Count == 0) return false; // deadlock: no credit and nothing to consume
                    var chunk = inFlight.Dequeue();
                    consumed += chunk;
                    var increment = receiver.OnDataConsumed(chunk);
                    if (increment > 0) { granted += increment; sender.OnWindowUpdate(increment); }
                    continue;
                }
                receiver.OnDataReceived(credit); // throws if the sender overran the window
                inFlight.Enqueue(credit);
                sent += credit;
                left -= credit;
            }
        }
        return granted <= consumed && sent == writes.Sum(w => (long)w);
    }
}

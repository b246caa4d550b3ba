using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace TunnelActors.Protocol.Tests;

/// <summary>A window size and a script of raw steps; each test reads the steps as the operations it needs.</summary>
public sealed record WindowScript(uint Window, int[] Steps)
{
    public override string ToString() => $"window {Window}, {Steps.Length} steps [{string.Join(",", Steps.Take(12))}...]";
}

public static class CreditArbitraries
{
    public static Arbitrary<WindowScript> WindowScript() =>
        (from window in Gen.Frequency(
             (3, Gen.Choose(1, 1024)),
             (4, Gen.Choose(1024, 4 << 20)),
             (1, Gen.Choose(0, 1000).Select(d => (int)(CreditWindow.MaxWindow - (uint)d))))
         from steps in Gen.ListOf(Gen.Frequency(
             (3, Gen.Choose(int.MinValue, int.MaxValue)),
             (2, Gen.Choose(-70_000, 70_000))))
         select new WindowScript((uint)window, steps.ToArray())).ToArbitrary();
}

[Properties(Arbitrary = [typeof(CreditArbitraries)], MaxTest = 300)]
public sealed class CreditWindowTests
{
    [Fact]
    public void TakeSendCredit_RepeatedTakes_NeverMoreThanGranted()
    {
        var window = new CreditWindow(sendWindow: 100, receiveWindow: 100);

        Assert.Equal(60, window.TakeSendCredit(60));
        Assert.Equal(40, window.TakeSendCredit(60));
        Assert.Equal(0, window.TakeSendCredit(1));
        window.OnWindowUpdate(10);
        Assert.Equal(10, window.TakeSendCredit(50));
        Assert.Equal(0, window.SendCredit);
    }

    [Fact]
    public void OnWindowUpdate_Zero_IsFlowControlError()
    {
        var error = Assert.Throws<ProtocolException>(() => new CreditWindow(10, 10).OnWindowUpdate(0));

        Assert.Equal(ProtocolError.FlowControl, error.Error);
    }

    [Fact]
    public void OnWindowUpdate_UpToTwoToThe31MinusOne_IsAcceptedAndOneMoreIsFlowControlError()
    {
        var window = new CreditWindow(CreditWindow.MaxWindow - 5, 10);
        window.OnWindowUpdate(5);
        Assert.Equal(CreditWindow.MaxWindow, window.SendCredit);

        var error = Assert.Throws<ProtocolException>(() => window.OnWindowUpdate(1));

        Assert.Equal(ProtocolError.FlowControl, error.Error);
        Assert.Equal(CreditWindow.MaxWindow, window.SendCredit); // a rejected update changes nothing
    }

    [Theory]
    [InlineData(0u, uint.MaxValue)]
    [InlineData(0u, CreditWindow.MaxWindow + 1)]
    [InlineData(1u, CreditWindow.MaxWindow)]
    [InlineData(CreditWindow.MaxWindow, 1u)]
    public void OnWindowUpdate_PastTwoToThe31_IsFlowControlError(uint credit, uint increment)
    {
        var window = new CreditWindow(credit, 10);

        var error = Assert.Throws<ProtocolException>(() => window.OnWindowUpdate(increment));

        Assert.Equal(ProtocolError.FlowControl, error.Error);
        Assert.Equal(credit, window.SendCredit);
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
    public void OnDataReceived_OneFrameLargerThanTheWholeWindow_IsFlowControlError()
    {
        var error = Assert.Throws<ProtocolException>(() => new CreditWindow(10, receiveWindow: 1024).OnDataReceived(1025));

        Assert.Equal(ProtocolError.FlowControl, error.Error);
    }

    [Fact]
    public void OnDataConsumed_BelowAQuarterWindow_GrantsNothingThenEverythingConsumed()
    {
        var window = new CreditWindow(10, receiveWindow: 1000);
        window.OnDataReceived(1000);

        Assert.Equal(0u, window.OnDataConsumed(100));
        Assert.Equal(0u, window.OnDataConsumed(149));
        Assert.Equal(250u, window.OnDataConsumed(1));
        window.OnDataReceived(250); // the granted credit is usable again
        Assert.Throws<ProtocolException>(() => window.OnDataReceived(1));
    }

    /// <summary>Send side against a model: credit taken is min(wanted, credit); updates keep 1..2^31-1 or throw and change nothing.</summary>
    [Property]
    public void TakeSendCredit_AnyRequestsAndUpdates_NeverExceedsCredit(WindowScript script)
    {
        var window = new CreditWindow(script.Window, 1);
        long credit = script.Window;
        foreach (var step in script.Steps)
        {
            if (step >= 0)
            {
                var wanted = (int)(step % (credit * 2 + 2)); // below, at and above the credit
                var taken = window.TakeSendCredit(wanted);
                Assert.Equal(Math.Min(wanted, credit), taken);
                credit -= taken;
            }
            else
            {
                // 0 (invalid), anything that fits, exactly one too many, or huge.
                var increment = step % 5 == 0 ? (uint)-(long)step * 2 : (uint)((-(long)step) % (CreditWindow.MaxWindow - credit + 2));
                if (increment == 0 || credit + increment > CreditWindow.MaxWindow)
                {
                    var error = Assert.Throws<ProtocolException>(() => window.OnWindowUpdate(increment));
                    Assert.Equal(ProtocolError.FlowControl, error.Error);
                }
                else
                {
                    window.OnWindowUpdate(increment);
                    credit += increment;
                }
            }
            Assert.Equal(credit, window.SendCredit);
            Assert.InRange(window.SendCredit, 0, CreditWindow.MaxWindow);
        }
    }

    /// <summary>
    /// Receive side against a model: DATA beyond what is left of the window throws FlowControl
    /// (and changes nothing); consumption is granted back only in batches of at least a quarter
    /// window, and granted + not-yet-granted always equals consumed.
    /// </summary>
    [Property]
    public void OnDataConsumed_AnyReceiveConsumeSequence_GrantsInQuarterWindowBatchesSummingToConsumed(WindowScript script)
    {
        var window = new CreditWindow(1, script.Window);
        var quarter = script.Window / 4;
        long left = script.Window, unread = 0, consumed = 0, granted = 0, pending = 0;
        foreach (var step in script.Steps)
        {
            if (step >= 0)
            {
                var length = (int)(step % (left + 2)); // up to one byte beyond what is left
                if (length > left)
                {
                    var error = Assert.Throws<ProtocolException>(() => window.OnDataReceived(length));
                    Assert.Equal(ProtocolError.FlowControl, error.Error);
                    continue;
                }
                window.OnDataReceived(length);
                left -= length;
                unread += length;
            }
            else
            {
                var length = (int)((-(long)step) % (unread + 1));
                var increment = window.OnDataConsumed(length);
                unread -= length;
                consumed += length;
                pending += length;
                if (pending >= quarter)
                {
                    Assert.Equal((uint)pending, increment);
                    Assert.True(increment >= quarter);
                    granted += increment;
                    left += increment;
                    pending = 0;
                }
                else Assert.Equal(0u, increment);
            }
            Assert.Equal(consumed, granted + pending);
            Assert.True(quarter == 0 ? pending == 0 : pending < quarter, $"{pending} consumed bytes not granted with a quarter window of {quarter}");
        }
        // Whatever was left can be received exactly; one byte more cannot.
        if (left <= int.MaxValue - 1)
        {
            window.OnDataReceived((int)left);
            Assert.Equal(ProtocolError.FlowControl, Assert.Throws<ProtocolException>(() => window.OnDataReceived(1)).Error);
        }
    }

    /// <summary>
    /// A sender that respects its credit and a receiver that grants as it consumes never
    /// disagree, whatever the interleaving of sends, deliveries, reads and WINDOW_UPDATEs:
    /// no flow-control error, no deadlock, every byte delivered.
    /// </summary>
    [Property]
    public void SenderRespectingCredit_AnyInterleaving_NeverViolatesReceiverWindow(WindowScript script, PositiveInt kiB)
    {
        var windowSize = script.Window % (256 * 1024) + 1;
        var total = (long)(kiB.Get % 2048 + 1) * 1024;
        var sender = new CreditWindow(windowSize, windowSize);   // its send side mirrors...
        var receiver = new CreditWindow(windowSize, windowSize); // ...this receive side
        var dataInFlight = new Queue<int>();
        var updatesInFlight = new Queue<uint>();
        long toSend = total, buffered = 0, received = 0, consumed = 0;
        var random = new Random(script.Steps.Length == 0 ? 0 : script.Steps[0]);
        var steps = 0;

        while (consumed < total)
        {
            Assert.True(++steps < 1_000_000, "no progress");
            var canSend = toSend > 0 && sender.SendCredit > 0;
            var choices = new List<int>();
            if (canSend) choices.Add(0);
            if (dataInFlight.Count > 0) choices.Add(1);
            if (buffered > 0) choices.Add(2);
            if (updatesInFlight.Count > 0) choices.Add(3);
            Assert.True(choices.Count > 0, $"deadlock: sent {total - toSend}, consumed {consumed}, credit {sender.SendCredit}");

            switch (choices[random.Next(choices.Count)])
            {
                case 0:
                    var credit = sender.TakeSendCredit((int)Math.Min(toSend, random.Next(1, 64 * 1024 + 1)));
                    dataInFlight.Enqueue(credit);
                    toSend -= credit;
                    break;
                case 1:
                    var length = dataInFlight.Dequeue();
                    receiver.OnDataReceived(length); // throws if the sender overran the window
                    buffered += length;
                    received += length;
                    break;
                case 2:
                    var read = (int)Math.Min(buffered, random.Next(1, 48 * 1024));
                    buffered -= read;
                    consumed += read;
                    var increment = receiver.OnDataConsumed(read);
                    if (increment > 0) updatesInFlight.Enqueue(increment);
                    break;
                case 3:
                    sender.OnWindowUpdate(updatesInFlight.Dequeue()); // throws if grants overflowed the sender
                    break;
            }
            Assert.True(received - consumed <= windowSize, "receiver holds more than one window");
        }
        Assert.Equal(total, received);
    }
}

public sealed class CreditWindowResizeTests
{
    [Fact]
    public void Resize_Larger_GrantsTheDifferenceAndThePeerMaySendTheWholeNewWindow()
    {
        var window = new CreditWindow(10, receiveWindow: 1000);
        window.OnDataReceived(1000);
        Assert.Equal(1000u, window.OnDataConsumed(1000));

        window.Resize(4000);

        Assert.Equal(3000u, window.TakeGrant());
        window.OnDataReceived(4000);
        Assert.Equal(ProtocolError.FlowControl, Assert.Throws<ProtocolException>(() => window.OnDataReceived(1)).Error);
    }

    [Fact]
    public void Resize_Smaller_WithholdsGrantsUntilThePeersCreditFitsTheNewWindow()
    {
        var window = new CreditWindow(10, receiveWindow: 4000);
        window.Resize(1000); // the peer still holds 4000 of credit

        window.OnDataReceived(4000);
        Assert.Equal(0u, window.OnDataConsumed(3000)); // pays back the 3000 the peer had beyond the new window
        Assert.Equal(0u, window.TakeGrant());
        Assert.Equal(1000u, window.OnDataConsumed(1000));
        window.OnDataReceived(1000);
        Assert.Equal(ProtocolError.FlowControl, Assert.Throws<ProtocolException>(() => window.OnDataReceived(1)).Error);
    }
}

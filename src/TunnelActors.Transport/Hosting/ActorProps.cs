using Akka.Actor;

namespace TunnelActors.Transport.Hosting;

/// <summary>
/// Props built from a plain factory, for actors created per stream. <c>Props.Create(() => new X(a.B))</c>
/// takes the lambda as an expression tree and evaluates its arguments on every call, compiling any it
/// cannot read directly: measured with perf, about a fifth of the connector's CPU per new stream.
/// The factory runs when the actor starts and again on each restart, so it must capture only
/// values that do not change afterwards (parameters, handler locals, readonly fields).
/// </summary>
public static class ActorProps
{
    public static Props Of<TActor>(Func<TActor> factory) where TActor : ActorBase => Props.CreateBy(new Producer<TActor>(factory));

    private sealed class Producer<TActor>(Func<TActor> factory) : IIndirectActorProducer where TActor : ActorBase
    {
        public Type ActorType => typeof(TActor);
        public ActorBase Produce() => factory();
        public void Release(ActorBase actor) { }
    }
}

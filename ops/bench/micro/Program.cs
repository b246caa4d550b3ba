using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(TunnelActors.Bench.CodecBenchmarks).Assembly).Run(args);

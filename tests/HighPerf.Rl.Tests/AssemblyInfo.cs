// The tests drive llama.cpp with 2 threads each; classes running side by side on a 2-core machine oversubscribe the
// cores, and llama.cpp's spin barriers then stall (minutes instead of seconds). One test class at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

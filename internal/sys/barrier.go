package sys

// An asymmetric Dekker handshake: a hot path that announces itself with
// LightStore32 and then loads a flag, and a rare path that sets the flag,
// calls ProcessBarrier and then loads the announcement, cannot both miss
// each other, although the hot path executes no barrier instruction (on
// amd64 a sequentially consistent store is an XCHG, which waits for every
// store before it to leave the CPU: on a path that has just written a
// frame into shared memory that wait is most of the cost).
//
// ProcessBarrier makes every thread of the process execute a full barrier
// before it returns, so for each hot-path thread either its announcement is
// visible to the rare path's load, or its load comes after the barrier and
// sees the flag.

// tachyon-cxxpeer: the C++ side of tachyon-bench's comparison with Tachyon's
// C++ core. It is ours, written against Tachyon's public C header only
// (tachyon.h, found through the include path build.sh passes), and links
// against a Tachyon library the user built by Tachyon's own instructions.
// See doc.go for the protocol between this program and tachyon-bench.
//
// Usage (every argument but the mode is key=value):
//
//   tachyon-cxxpeer ping listen=A connect=B [size=32 cap=65536 warmup-ms=50
//                        duration-ms=500 count=0 spin=10000 cpu=-1]
//   tachyon-cxxpeer pong listen=B connect=A [cap=65536 spin=10000 cpu=-1]
//   tachyon-cxxpeer send listen=A [size=32 cap=1048576 warmup-ms=50
//                        duration-ms=500 count=0 batch=32 cpu=-1]
//   tachyon-cxxpeer recv connect=A [spin=10000 cpu=-1]
//
// ping writes "samples N\n" and then N little-endian uint64 round-trip times
// in nanoseconds to stdout; send writes "sent WARM MSGS START_NS\n"; recv
// writes "recv MSGS BYTES END_NS\n" (CLOCK_MONOTONIC nanoseconds).

#include <tachyon.h>

#include <sched.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr uint32_t kData = 1; // a frame to echo or count
constexpr uint32_t kEnd	 = 2; // the last frame: stop

struct Args {
	std::map<std::string, std::string> kv;

	std::string str(const char *k, const char *def) const {
		auto it = kv.find(k);
		return it == kv.end() ? def : it->second;
	}
	long long num(const char *k, long long def) const {
		auto it = kv.find(k);
		return it == kv.end() ? def : std::atoll(it->second.c_str());
	}
};

[[noreturn]] void die(const char *what, int code) {
	std::fprintf(stderr, "tachyon-cxxpeer: %s (error %d)\n", what, code);
	std::exit(1);
}

inline uint64_t now_ns() {
	timespec ts{};
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return static_cast<uint64_t>(ts.tv_sec) * 1000000000ULL + static_cast<uint64_t>(ts.tv_nsec);
}

inline void relax() { __builtin_ia32_pause(); }

// keep makes the compiler treat the memory at p as read. Without it, a
// memcpy into a buffer that nothing reads afterwards is deleted: the
// receivers below would never touch the payloads they count, where the Go
// receivers they are compared with copy every byte.
inline void keep(const void *p) { asm volatile("" : : "r"(p) : "memory"); }

void pin(long long cpu) {
	if (cpu < 0)
		return;
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(static_cast<int>(cpu), &set);
	if (sched_setaffinity(0, sizeof(set), &set) != 0)
		std::fprintf(stderr, "tachyon-cxxpeer: pinning to CPU %lld refused, unpinned\n", cpu);
}

// connect_bus retries until the listener's socket appears (10 s).
tachyon_bus_t *connect_bus(const std::string &path) {
	tachyon_bus_t *bus = nullptr;
	tachyon_error_t err = TACHYON_SUCCESS;
	for (int i = 0; i < 10000; i++) {
		err = tachyon_bus_connect(path.c_str(), &bus);
		if (err == TACHYON_SUCCESS)
			return bus;
		usleep(1000);
	}
	die("connect", err);
}

// open_pair listens on one path (the ring this side writes) while it
// connects to the other (the ring it reads), as Tachyon's own ping/pong do.
void open_pair(const Args &a, size_t cap, tachyon_bus_t **tx, tachyon_bus_t **rx) {
	tachyon_error_t lerr = TACHYON_SUCCESS;
	std::thread listener([&] { lerr = tachyon_bus_listen(a.str("listen", "").c_str(), cap, tx); });
	*rx = connect_bus(a.str("connect", ""));
	listener.join();
	if (lerr != TACHYON_SUCCESS)
		die("listen", lerr);
}

// acquire_tx waits for room, publishing what is pending so the consumer
// can free it.
void *acquire_tx(tachyon_bus_t *bus, size_t n) {
	void *p;
	while ((p = tachyon_acquire_tx(bus, n)) == nullptr) {
		tachyon_flush(bus);
		relax();
	}
	return p;
}

// send_one copies payload into one frame of type t and publishes it.
void send_one(tachyon_bus_t *bus, const void *payload, size_t n, uint32_t t) {
	std::memcpy(acquire_tx(bus, n), payload, n);
	tachyon_commit_tx(bus, n, t);
	tachyon_flush(bus);
}

// recv_one returns the next frame, spinning spin times before it parks on
// Tachyon's futex; nullptr returns (EINTR) are retried unless fatal.
const void *recv_one(tachyon_bus_t *bus, uint32_t spin, uint32_t *t, size_t *n) {
	for (;;) {
		const void *p = tachyon_acquire_rx_blocking(bus, t, n, spin);
		if (p != nullptr)
			return p;
		if (tachyon_get_state(bus) == TACHYON_STATE_FATAL_ERROR)
			die("ring fatal", 0);
	}
}

std::vector<unsigned char> pattern(size_t n) {
	std::vector<unsigned char> b(n);
	for (size_t i = 0; i < n; i++)
		b[i] = static_cast<unsigned char>(i);
	return b;
}

// measuring says whether a loop that started at start and has done n
// operations should go on: count operations, or until duration has passed.
struct Clock {
	uint64_t start, duration_ns;
	long long count;
	bool go_on(long long n, uint64_t now) const { return count > 0 ? n < count : now - start < duration_ns; }
};

int ping(const Args &a) {
	const size_t size = static_cast<size_t>(a.num("size", 32));
	tachyon_bus_t *tx, *rx;
	open_pair(a, static_cast<size_t>(a.num("cap", 65536)), &tx, &rx);
	const uint32_t spin = static_cast<uint32_t>(a.num("spin", 10000));
	const auto	   msg	= pattern(size);
	std::vector<unsigned char> buf(size);
	auto rtt = [&] {
		send_one(tx, msg.data(), size, kData);
		uint32_t	t = 0;
		size_t		n = 0;
		const void *p = recv_one(rx, spin, &t, &n);
		if (n != size || std::memcmp(p, msg.data(), n) != 0)
			die("echo differs", static_cast<int>(n));
		std::memcpy(buf.data(), p, n);
		keep(buf.data());
		tachyon_commit_rx(rx);
	};
	const uint64_t warm_end = now_ns() + static_cast<uint64_t>(a.num("warmup-ms", 50)) * 1000000ULL;
	while (now_ns() < warm_end)
		rtt();
	std::vector<uint64_t> samples;
	samples.reserve(1 << 22);
	const Clock c{now_ns(), static_cast<uint64_t>(a.num("duration-ms", 500)) * 1000000ULL, a.num("count", 0)};
	uint64_t prev = c.start;
	for (long long i = 0;; i++) {
		rtt();
		const uint64_t now = now_ns();
		samples.push_back(now - prev);
		prev = now;
		if (!c.go_on(i + 1, now))
			break;
	}
	send_one(tx, msg.data(), 0, kEnd);
	std::printf("samples %zu\n", samples.size());
	std::fflush(stdout);
	std::fwrite(samples.data(), sizeof(uint64_t), samples.size(), stdout);
	std::fflush(stdout);
	tachyon_bus_destroy(tx);
	tachyon_bus_destroy(rx);
	return 0;
}

int pong(const Args &a) {
	tachyon_bus_t *tx, *rx;
	open_pair(a, static_cast<size_t>(a.num("cap", 65536)), &tx, &rx);
	const uint32_t spin = static_cast<uint32_t>(a.num("spin", 10000));
	for (;;) {
		uint32_t	t = 0;
		size_t		n = 0;
		const void *p = recv_one(rx, spin, &t, &n);
		if (t == kEnd)
			break;
		std::memcpy(acquire_tx(tx, n), p, n);
		tachyon_commit_rx(rx);
		tachyon_commit_tx(tx, n, kData);
		tachyon_flush(tx);
	}
	tachyon_commit_rx(rx);
	tachyon_bus_destroy(tx);
	tachyon_bus_destroy(rx);
	return 0;
}

int send(const Args &a) {
	const size_t size  = static_cast<size_t>(a.num("size", 32));
	const long long batch = a.num("batch", 32);
	tachyon_bus_t *tx	= nullptr;
	tachyon_error_t err = tachyon_bus_listen(a.str("listen", "").c_str(), static_cast<size_t>(a.num("cap", 1 << 20)), &tx);
	if (err != TACHYON_SUCCESS)
		die("listen", err);
	const auto msg = pattern(size);
	// Tachyon's producer publishes every 32 commits by itself; batch=1
	// publishes every frame, as tachyon-bench's Go producer does from 1 KiB.
	auto one = [&] {
		std::memcpy(acquire_tx(tx, size), msg.data(), size);
		tachyon_commit_tx(tx, size, kData);
		if (batch == 1)
			tachyon_flush(tx);
	};
	long long warm = 0;
	const uint64_t warm_end = now_ns() + static_cast<uint64_t>(a.num("warmup-ms", 50)) * 1000000ULL;
	while (now_ns() < warm_end)
		for (int i = 0; i < 64; i++, warm++)
			one();
	const Clock c{now_ns(), static_cast<uint64_t>(a.num("duration-ms", 500)) * 1000000ULL, a.num("count", 0)};
	long long n = 0;
	if (c.count > 0) {
		for (; n < c.count; n++)
			one();
	} else {
		while (c.go_on(n, now_ns()))
			for (int i = 0; i < 64; i++, n++)
				one();
	}
	send_one(tx, msg.data(), 0, kEnd);
	std::printf("sent %lld %lld %llu\n", warm, n, static_cast<unsigned long long>(c.start));
	std::fflush(stdout);
	// The consumer maps the ring already; destroying our side unmaps only ours.
	tachyon_bus_destroy(tx);
	return 0;
}

int recv(const Args &a) {
	tachyon_bus_t *rx = connect_bus(a.str("connect", ""));
	const uint32_t spin = static_cast<uint32_t>(a.num("spin", 10000));
	std::vector<unsigned char> buf(1 << 20);
	tachyon_msg_view_t		   views[64];
	long long				   msgs = 0, bytes = 0;
	for (bool end = false; !end;) {
		const size_t k = tachyon_drain_batch(rx, views, 64, spin);
		if (k == 0) {
			if (tachyon_get_state(rx) == TACHYON_STATE_FATAL_ERROR)
				die("ring fatal", 0);
			continue;
		}
		for (size_t i = 0; i < k; i++) {
			if (views[i].type_id == kEnd) {
				end = true;
				continue;
			}
			std::memcpy(buf.data(), views[i].ptr, std::min(views[i].actual_size, buf.size()));
			keep(buf.data());
			msgs++;
			bytes += static_cast<long long>(views[i].actual_size);
		}
		tachyon_commit_rx_batch(rx, views, k);
	}
	const uint64_t end_ns = now_ns();
	std::printf("recv %lld %lld %llu\n", msgs, bytes, static_cast<unsigned long long>(end_ns));
	std::fflush(stdout);
	tachyon_bus_destroy(rx);
	return 0;
}

} // namespace

int main(int argc, char **argv) {
	if (argc < 2) {
		std::fprintf(stderr, "usage: tachyon-cxxpeer ping|pong|send|recv key=value...\n");
		return 2;
	}
	Args a;
	for (int i = 2; i < argc; i++) {
		std::string s = argv[i];
		const auto	eq = s.find('=');
		if (eq == std::string::npos) {
			std::fprintf(stderr, "tachyon-cxxpeer: argument %s is not key=value\n", argv[i]);
			return 2;
		}
		a.kv[s.substr(0, eq)] = s.substr(eq + 1);
	}
	pin(a.num("cpu", -1));
	const std::string mode = argv[1];
	if (mode == "ping")
		return ping(a);
	if (mode == "pong")
		return pong(a);
	if (mode == "send")
		return send(a);
	if (mode == "recv")
		return recv(a);
	std::fprintf(stderr, "tachyon-cxxpeer: unknown mode %s\n", mode.c_str());
	return 2;
}

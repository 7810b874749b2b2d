package examples_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Every example is built and run as real processes, server and client (or
// producer and consumer) apart, exactly as its README shows.

// limit bounds every build, run and wait.
const limit = 2 * time.Minute

// build compiles the example's commands into a temporary directory and
// returns it.
func build(t *testing.T, example string, cmds ...string) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command to build the examples: %v", err)
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	args := []string{"build", "-o", dir + string(filepath.Separator)}
	for _, c := range cmds {
		args = append(args, "./"+example+"/"+c)
	}
	cmd := exec.CommandContext(ctx, goTool, args...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return dir
}

// sockPath returns a fresh socket path short enough for sun_path.
func sockPath(t *testing.T) string {
	dir, err := os.MkdirTemp("", "ex")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return filepath.Join(dir, "s")
}

// proc is a running example command whose stdout we read line by line.
type proc struct {
	name   string
	cmd    *exec.Cmd
	lines  chan string
	stderr *bytes.Buffer
	done   chan error
}

func start(t *testing.T, bin string, args ...string) *proc {
	t.Helper()
	p := &proc{name: filepath.Base(bin), cmd: exec.Command(bin, args...), lines: make(chan string, 64),
		stderr: new(bytes.Buffer), done: make(chan error, 1)}
	p.cmd.Stderr = p.stderr
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var read sync.WaitGroup
	read.Go(func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		close(p.lines)
	})
	go func() {
		read.Wait() // Wait closes the pipe: read it all first
		p.done <- p.cmd.Wait()
	}()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
	})
	return p
}

// expect waits for a line matching re and returns its submatches.
func (p *proc) expect(t *testing.T, re string) []string {
	t.Helper()
	rx := regexp.MustCompile(re)
	timeout := time.After(limit)
	for {
		select {
		case line, ok := <-p.lines:
			if !ok {
				t.Fatalf("%s ended without printing %q; stderr:\n%s", p.name, re, p.stderr)
			}
			if m := rx.FindStringSubmatch(line); m != nil {
				return m
			}
		case <-timeout:
			t.Fatalf("%s did not print %q in %v", p.name, re, limit)
		}
	}
}

// wait waits for the command to exit successfully.
func (p *proc) wait(t *testing.T) {
	t.Helper()
	select {
	case err := <-p.done:
		p.done <- err // for the cleanup
		if err != nil {
			t.Fatalf("%s: %v; stderr:\n%s", p.name, err, p.stderr)
		}
	case <-time.After(limit):
		t.Fatalf("%s did not exit in %v", p.name, limit)
	}
}

// stop sends SIGTERM and waits for a clean exit.
func (p *proc) stop(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	p.expect(t, "^stopped$")
	p.wait(t)
}

// run runs a command to completion and returns its stdout.
func run(t *testing.T, bin string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v; stderr:\n%s", filepath.Base(bin), strings.Join(args, " "), err, &stderr)
	}
	return string(out)
}

func mustContain(t *testing.T, out string, re string) []string {
	t.Helper()
	m := regexp.MustCompile(re).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("output does not match %q:\n%s", re, out)
	}
	return m
}

func TestGRPC(t *testing.T) {
	t.Parallel()
	bin := build(t, "grpc", "server", "client")
	sock := sockPath(t)
	srv := start(t, filepath.Join(bin, "server"), "-socket", sock, "-tcp", "127.0.0.1:0")
	srv.expect(t, "^serving on "+regexp.QuoteMeta(sock)+"$")
	tcpAddr := srv.expect(t, `^serving on tcp (\S+)$`)[1]

	for _, path := range []string{"direct", "http2"} {
		args := []string{"-target", sock, "-msg", "over shm"}
		if path == "http2" {
			args = append(args, "-http2")
		}
		out := run(t, filepath.Join(bin, "client"), args...)
		mustContain(t, out, `(?m)^echo: over shm$`)
		m := mustContain(t, out, `connection: shm \(shm\); the server saw us as pid (\d+) uid \d+ over shared memory; we are pid (\d+)`)
		if m[1] != m[2] {
			t.Errorf("%s: the server saw pid %s, the client is pid %s", path, m[1], m[2])
		}
		mustContain(t, out, `(?m)^path: `+path+`$`)
		mustContain(t, out, `(?m)^streamed: 3 messages, 1115136 bytes$`)
	}

	out := run(t, filepath.Join(bin, "client"), "-target", "dns:///"+tcpAddr, "-msg", "over tcp")
	mustContain(t, out, `(?m)^echo: over tcp$`)
	mustContain(t, out, `connection: tcp \(insecure\); the server saw us as 127\.0\.0\.1:\d+ over tcp`)
	srv.stop(t)
}

func TestHTTP(t *testing.T) {
	t.Parallel()
	bin := build(t, "http", "server", "client")
	sock := sockPath(t)
	srv := start(t, filepath.Join(bin, "server"), "-socket", sock)
	srv.expect(t, "^serving on ")
	for args, want := range map[string]string{"": "HTTP/1.1", "-h2c": "HTTP/2.0"} {
		cmd := []string{"-socket", sock}
		if args != "" {
			cmd = append(cmd, args)
		}
		out := run(t, filepath.Join(bin, "client"), cmd...)
		mustContain(t, out, fmt.Sprintf(`^%s hello over %s from pid [1-9]\d*\n$`, regexp.QuoteMeta(want), regexp.QuoteMeta(want)))
	}
	srv.stop(t)
}

func TestNetRPC(t *testing.T) {
	t.Parallel()
	bin := build(t, "netrpc", "server", "client")
	sock := sockPath(t)
	srv := start(t, filepath.Join(bin, "server"), "-socket", sock)
	srv.expect(t, "^serving on ")
	out := run(t, filepath.Join(bin, "client"), "-socket", sock, "-a", "7", "-b", "6")
	mustContain(t, out, `(?m)^7 \* 6 = 42\n7 / 6 = 1$`)
	out = run(t, filepath.Join(bin, "client"), "-socket", sock, "-a", "7", "-b", "0")
	mustContain(t, out, `(?m)^7 / 0: divide by zero$`)
	srv.stop(t)
}

func TestZeroCopy(t *testing.T) {
	t.Parallel()
	bin := build(t, "zerocopy", "producer", "consumer")
	sock := sockPath(t)
	// A small ring: it wraps thousands of times and both sides wait.
	prod := start(t, filepath.Join(bin, "producer"), "-socket", sock, "-frames", "200000", "-size", "100", "-capacity", "65536")
	prod.expect(t, "^waiting for a consumer on ")
	out := run(t, filepath.Join(bin, "consumer"), "-socket", sock)
	mustContain(t, out, `^received 200000 frames in \d+ batches \(largest \d+\), in order\n$`)
	prod.expect(t, `^sent 200000 frames of 100 bytes in `)
	prod.wait(t)
}

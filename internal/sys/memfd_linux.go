package sys

import (
	"errors"
	"fmt"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// RequiredSeals are the seals a shared segment must carry before we map it: a
// peer that could shrink the file would turn our next access into SIGBUS.
const RequiredSeals = unix.F_SEAL_SHRINK | unix.F_SEAL_GROW

// CreateSealedMemfd creates an anonymous memory file of exactly size bytes,
// sealed against shrinking, growing and further sealing, mode 0600,
// close-on-exec. name appears in /proc/PID/fd as "memfd:NAME".
func CreateSealedMemfd(name string, size int) (fd int, err error) {
	if size <= 0 {
		return -1, fmt.Errorf("memfd size %d must be positive", size)
	}
	flags := unix.MFD_CLOEXEC | unix.MFD_ALLOW_SEALING
	fd, err = unix.MemfdCreate(name, flags|unix.MFD_NOEXEC_SEAL)
	if errors.Is(err, unix.EINVAL) {
		// Kernels before 6.3 do not know MFD_NOEXEC_SEAL.
		fd, err = unix.MemfdCreate(name, flags)
	}
	if err != nil {
		return -1, fmt.Errorf("memfd_create: %w", err)
	}
	defer func() {
		if err != nil {
			unix.Close(fd)
			fd = -1
		}
	}()
	if err = unix.Ftruncate(fd, int64(size)); err != nil {
		return fd, fmt.Errorf("ftruncate memfd to %d bytes: %w", size, err)
	}
	if err = unix.Fchmod(fd, 0o600); err != nil {
		return fd, fmt.Errorf("fchmod memfd: %w", err)
	}
	if _, err = unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, RequiredSeals|unix.F_SEAL_SEAL); err != nil {
		return fd, fmt.Errorf("seal memfd: %w", err)
	}
	return fd, nil
}

// CheckSealedMemfd verifies that fd is a regular file of exactly size bytes
// that can no longer shrink or grow. It is the gate every received segment
// passes before it is mapped.
func CheckSealedMemfd(fd int, size int) error {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return fmt.Errorf("fstat segment: %w", err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return fmt.Errorf("segment is not a regular file (mode %#o)", st.Mode)
	}
	if st.Size != int64(size) {
		return fmt.Errorf("segment is %d bytes, expected exactly %d", st.Size, size)
	}
	seals, err := unix.FcntlInt(uintptr(fd), unix.F_GET_SEALS, 0)
	if err != nil {
		return fmt.Errorf("segment cannot be sealed (F_GET_SEALS: %w)", err)
	}
	if seals&RequiredSeals != RequiredSeals {
		return fmt.Errorf("segment is not sealed against shrink and grow (seals %#x)", seals)
	}
	return nil
}

// MapShared maps size bytes of fd read-write and shared. Pages arrive as
// they are first touched (Prefault brings them in at once).
func MapShared(fd int, size int) ([]byte, error) {
	mem, err := unix.Mmap(fd, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("mmap segment: %w", err)
	}
	return mem, nil
}

// Prefault faults in every page of a shared read-write mapping, allocating
// what the file does not have yet, without changing a byte.
func Prefault(mem []byte) error {
	err := unix.Madvise(mem, unix.MADV_POPULATE_WRITE)
	if err == unix.EINVAL {
		// Kernels before 5.14: touch each page with an atomic add of zero,
		// which writes nothing a peer could see change.
		for off := 0; off < len(mem); off += unix.Getpagesize() {
			atomicAddZero(&mem[off])
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("prefault segment: %w", err)
	}
	return nil
}

// MapReadOnly maps size bytes of fd read-only and shared, for observers that
// must never write into a segment.
func MapReadOnly(fd int, size int) ([]byte, error) {
	mem, err := unix.Mmap(fd, 0, size, unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("mmap segment read-only: %w", err)
	}
	return mem, nil
}

// Unmap releases a mapping made by MapShared or MapReadOnly.
func Unmap(mem []byte) error { return unix.Munmap(mem) }

// Close closes a raw file descriptor, ignoring negative ones.
func Close(fd int) {
	if fd >= 0 {
		unix.Close(fd)
	}
}

// Dup duplicates fd with close-on-exec set.
func Dup(fd int) (int, error) {
	nfd, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("dup: %w", err)
	}
	return nfd, nil
}

// FileSize returns the size of the file behind fd.
func FileSize(fd int) (int64, error) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return 0, err
	}
	return st.Size, nil
}

// ShrinkSealedSize returns the size of the regular file behind fd after
// checking that it can no longer shrink: an observer that maps it can then
// read any byte below that size without risking SIGBUS, whoever owns it.
func ShrinkSealedSize(fd int) (int64, error) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return 0, fmt.Errorf("fstat segment: %w", err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return 0, fmt.Errorf("segment is not a regular file (mode %#o)", st.Mode)
	}
	seals, err := unix.FcntlInt(uintptr(fd), unix.F_GET_SEALS, 0)
	if err != nil {
		return 0, fmt.Errorf("segment cannot be sealed (F_GET_SEALS: %w)", err)
	}
	if seals&unix.F_SEAL_SHRINK == 0 {
		return 0, fmt.Errorf("segment is not sealed against shrinking (seals %#x)", seals)
	}
	return st.Size, nil
}

// atomicAddZero write-faults the page holding b without changing it.
func atomicAddZero(b *byte) {
	p := (*atomic.Uint32)(unsafe.Pointer(uintptr(unsafe.Pointer(b)) &^ 3))
	p.Add(0)
}

// SameRegularFile reports whether two descriptors refer to the same
// regular file (such as one memfd sent twice).
func SameRegularFile(a, b int) bool {
	var sa, sb unix.Stat_t
	if unix.Fstat(a, &sa) != nil || unix.Fstat(b, &sb) != nil {
		return false
	}
	return sa.Mode&unix.S_IFMT == unix.S_IFREG && sa.Dev == sb.Dev && sa.Ino == sb.Ino
}

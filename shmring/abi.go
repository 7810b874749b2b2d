package shmring

// This file mirrors ABI.md section by section. Every offset is in bytes from
// the start of a ring's segment; every integer is native-endian.

// Control block (ABI.md §1). One ring carries one direction of traffic and
// lives in its own memfd of ControlSize+capacity bytes.
const (
	Magic        = 0x54414348 // "TACH" read as a little-endian u32
	WireVersion  = 4          // Tachyon wire version we speak
	MsgAlignment = 64         // slot alignment and frame header size

	// ControlSize is the size of the control block before the data area.
	ControlSize = 768

	// MinCapacity and MaxCapacity bound a ring's data area; the capacity
	// must also be a power of two. MinCapacity is the wire format's
	// minimum, one frame header; a connection's rings are at least
	// conn.MinRingSize (a page).
	MinCapacity = 64
	MaxCapacity = 1 << 31

	offMagic     = 0  // u32, written by the creator
	offVersion   = 4  // u32
	offCapacity  = 8  // u32
	offAlignment = 12 // u32
	offState     = 16 // u32, see State

	// Tachyon-go extension marker (ABI.md §1.2): bytes 20–127 are padding
	// that Tachyon never reads. A Go creator writes ExtMagic and
	// ExtVersion here so observers know the extension words below are live.
	offExtMagic   = 20 // u32
	offExtVersion = 24 // u32

	offHead             = 128 // u64, free-running, written by the producer only
	offTail             = 256 // u64, free-running, written by the consumer only
	offConsumerSleeping = 384 // u32 futex word: 0 awake, 1 sleeping, 2 pure spin

	// Producer extension block (ABI.md §1.3), written by the producer only.
	offProducerHeartbeat = 512 // u64, Tachyon's: zero, never written
	offProducerSleeping  = 520 // u32: 1 while the producer waits for space
	offProducerFlags     = 524 // u32: FlagClosed once no frame follows head
	offProducerStats     = 576 // 8 × u64 counters (ABI.md §1.5)

	// Consumer extension block (ABI.md §1.4), written by the consumer only.
	offConsumerHeartbeat = 640 // u64, Tachyon's: zero, never written
	offConsumerFlags     = 648 // u32: FlagClosed once the consumer is gone
	offConsumerStats     = 704 // 8 × u64 counters

	// ExtMagic ("TGOX") and ExtVersion identify the tachyon-go extensions.
	ExtMagic   = 0x584f4754
	ExtVersion = 1
)

// Values of the control block's sleeping words.
const (
	awake        = 0
	sleeping     = 1 // on the futex word (Tachyon's value)
	pureSpin     = 2
	bellSleeping = 3 // tachyon-go doorbell mode: on the doorbell (ABI.md §3.3)
)

// Bits of the producer and consumer flag words, each written only by its
// side (ABI.md §1.3, §1.4).
const (
	// FlagClosed: the side is gone (the producer: no frame follows head).
	FlagClosed = 1
	// FlagBarriers: the side runs a cross-process barrier before it sleeps
	// whenever the peer's FlagFenceFree is set (fencefree.go).
	FlagBarriers = 2
	// FlagFenceFree: the side publishes its index with no barrier after
	// the store (fencefree.go).
	FlagFenceFree = 4
)

// State is the ring's lifecycle word at offset 16.
type State uint32

// Ring states as Tachyon defines them.
const (
	StateUninitialized State = 0
	StateInitializing  State = 1
	StateReady         State = 2
	StateDisconnected  State = 3
	StateFatal         State = 4
)

// Frame header (ABI.md §2): 64 bytes before every payload.
const (
	HeaderSize = 64

	hdrSize          = 0  // u32 payload bytes, or WrapMarker
	hdrTypeID        = 4  // u32
	hdrReservedSize  = 8  // u32 whole slot incl. header, multiple of 64
	hdrPad           = 12 // u32, zeroed by us
	hdrCorrelationID = 16 // u64, RPC rings only

	// WrapMarker in the size field means "skip to physical offset 0".
	WrapMarker = 0xFFFFFFFF
)

// SegmentSize returns the memfd size of a ring of the given capacity.
func SegmentSize(capacity int) int { return ControlSize + capacity }

// slotSize returns the bytes a frame of n payload bytes occupies: the header
// plus the payload, rounded up to MsgAlignment.
func slotSize(n int) int { return (HeaderSize + n + MsgAlignment - 1) &^ (MsgAlignment - 1) }

// MaxPayload is the largest payload a ring of the given capacity can carry.
func MaxPayload(capacity int) int { return capacity - HeaderSize }

package shmring

// TypeID is a frame's 32-bit type word. By Tachyon's convention its high 16
// bits are a route id and its low 16 bits a message type.
type TypeID uint32

// MakeTypeID packs a route id and a message type into a TypeID.
func MakeTypeID(route, msgType uint16) TypeID { return TypeID(route)<<16 | TypeID(msgType) }

// Route returns the route id (bits 31–16).
func (t TypeID) Route() uint16 { return uint16(t >> 16) }

// MsgType returns the message type (bits 15–0).
func (t TypeID) MsgType() uint16 { return uint16(t) }

package main

import (
	"crypto/sha256"
	"encoding/hex"

	"golang.org/x/mod/sumdb/tlog"
	"lukechampine.com/blake3"
)

// logHash is a ledger's hash (docs/FORMAT.md §3): sha256, whose Merkle hashing is tlog's, or b3,
// BLAKE3-256 from lukechampine.com/blake3 (Debian: golang-lukechampine-blake3-dev) in the same
// RFC 9162 tree (leaf H(0x00 || entry), node H(0x01 || left || right)).
type logHash struct {
	alg string
	sum func([]byte) [32]byte
}

func hashFor(alg string) (logHash, error) {
	switch alg {
	case "sha256":
		return logHash{alg, sha256.Sum256}, nil
	case "b3":
		return logHash{alg, blake3.Sum256}, nil
	}
	return logHash{}, fail("unknown hash algorithm %q", alg)
}

// tagged writes a digest as a hash string: "<alg>:<64 lowercase hex>".
func (h logHash) tagged(digest [32]byte) string {
	return h.alg + ":" + hex.EncodeToString(digest[:])
}

func (h logHash) leaf(entry []byte) tlog.Hash {
	if h.alg == "sha256" {
		return tlog.RecordHash(entry)
	}
	return h.sum(append([]byte{0x00}, entry...))
}

func (h logHash) node(left, right tlog.Hash) tlog.Hash {
	if h.alg == "sha256" {
		return tlog.NodeHash(left, right)
	}
	return h.sum(append(append([]byte{0x01}, left[:]...), right[:]...))
}

func (h logHash) emptyRoot() tlog.Hash {
	return h.sum(nil)
}

// checkInclusion verifies that leaf is at index in the tree of size with root: tlog.CheckRecord
// for sha256, RFC 9162 §2.1.3.2 as written for b3.
func (h logHash) checkInclusion(proof []tlog.Hash, size int64, root tlog.Hash, index int64, leaf tlog.Hash) error {
	if h.alg == "sha256" {
		return tlog.CheckRecord(proof, size, root, index, leaf)
	}
	if index < 0 || index >= size {
		return fail("leaf %d is outside a tree of %d", index, size)
	}
	fn, sn, r := index, size-1, leaf
	for _, p := range proof {
		if sn == 0 {
			return fail("proof too long")
		}
		if fn&1 == 1 || fn == sn {
			r = h.node(p, r)
			for fn&1 == 0 && fn != 0 {
				fn, sn = fn>>1, sn>>1
			}
		} else {
			r = h.node(r, p)
		}
		fn, sn = fn>>1, sn>>1
	}
	if sn != 0 || r != root {
		return fail("invalid inclusion proof")
	}
	return nil
}

// checkConsistency verifies that the tree of size oldSize with oldRoot is a prefix of the tree of
// newSize with newRoot: tlog.CheckTree for sha256, RFC 9162 §2.1.4.2 as written for b3, with the
// edges docs/FORMAT.md §4 fixes (from 0: empty proof, old root H(""); equal sizes: empty proof,
// equal roots).
func (h logHash) checkConsistency(proof []tlog.Hash, newSize int64, newRoot tlog.Hash, oldSize int64, oldRoot tlog.Hash) error {
	if h.alg == "sha256" {
		return tlog.CheckTree(proof, newSize, newRoot, oldSize, oldRoot)
	}
	switch {
	case oldSize < 0 || oldSize > newSize:
		return fail("sizes %d → %d are out of order", oldSize, newSize)
	case oldSize == 0 || oldSize == newSize:
		want := newRoot
		if oldSize == 0 {
			want = h.emptyRoot()
		}
		if len(proof) != 0 || oldRoot != want {
			return fail("invalid consistency proof")
		}
		return nil
	case len(proof) == 0:
		return fail("empty consistency proof")
	}
	if oldSize&(oldSize-1) == 0 {
		proof = append([]tlog.Hash{oldRoot}, proof...)
	}
	fn, sn := oldSize-1, newSize-1
	for fn&1 == 1 {
		fn, sn = fn>>1, sn>>1
	}
	fr, sr := proof[0], proof[0]
	for _, c := range proof[1:] {
		if sn == 0 {
			return fail("proof too long")
		}
		if fn&1 == 1 || fn == sn {
			fr, sr = h.node(c, fr), h.node(c, sr)
			for fn&1 == 0 && fn != 0 {
				fn, sn = fn>>1, sn>>1
			}
		} else {
			sr = h.node(sr, c)
		}
		fn, sn = fn>>1, sn>>1
	}
	if fr != oldRoot || sr != newRoot || sn != 0 {
		return fail("invalid consistency proof")
	}
	return nil
}

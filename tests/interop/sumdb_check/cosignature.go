package main

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// cosignatureV1 is a C2SP tlog-cosignature verifier (signature type 0x04), written from the spec's
// text: the key ID is SHA-256(name || "\n" || 0x04 || public key)[:4], the signature bytes are an
// 8-byte big-endian POSIX time then an Ed25519 signature of "cosignature/v1\ntime <T>\n" || note
// text. x/mod 0.7 has no such verifier; note.Open accepts any that implements note.Verifier.
type cosignatureV1 struct {
	name   string
	hash   uint32
	key    ed25519.PublicKey
	signed uint64 // the time of the last signature that verified
}

func (v *cosignatureV1) Name() string    { return v.name }
func (v *cosignatureV1) KeyHash() uint32 { return v.hash }

func (v *cosignatureV1) Verify(msg, sig []byte) bool {
	if len(sig) != 8+ed25519.SignatureSize {
		return false
	}
	time := binary.BigEndian.Uint64(sig[:8])
	if time > 1<<63-1 {
		return false
	}
	message := append([]byte("cosignature/v1\ntime "+strconv.FormatUint(time, 10)+"\n"), msg...)
	if !ed25519.Verify(v.key, message, sig[8:]) {
		return false
	}
	v.signed = time
	return true
}

// parseCosignerKey reads a witness verifier key: <name>+<key ID hex>+<base64(0x04 || public key)>.
func parseCosignerKey(text string) (*cosignatureV1, error) {
	name, rest, ok1 := strings.Cut(text, "+")
	idHex, keyB64, ok2 := strings.Cut(rest, "+")
	key, err := base64.StdEncoding.DecodeString(keyB64)
	if !ok1 || !ok2 || err != nil || len(key) != 1+ed25519.PublicKeySize || key[0] != 0x04 {
		return nil, fail("not a cosignature/v1 verifier key: %q", text)
	}
	digest := sha256.Sum256(append([]byte(name+"\n"), key...))
	hash := binary.BigEndian.Uint32(digest[:4])
	if fmt.Sprintf("%08x", hash) != idHex {
		return nil, fail("key ID %s does not match the key (%08x)", idHex, hash)
	}
	return &cosignatureV1{name: name, hash: hash, key: ed25519.PublicKey(key[1:])}, nil
}

// cosignedCommand checks that the note in NOTE carries a valid cosignature/v1 by the witness whose
// verifier key is in WKEY, and prints the time it was made at.
func cosignedCommand(wkeyPath, notePath string) error {
	witness, err := parseCosignerKey(strings.TrimSpace(string(readFile(wkeyPath))))
	if err != nil {
		return err
	}
	if _, err := note.Open(readFile(notePath), note.VerifierList(witness)); err != nil {
		return fail("cosignature by %s: %v", witness.name, err)
	}
	fmt.Printf("cosigned by %s at %d\n", witness.name, witness.signed)
	return nil
}

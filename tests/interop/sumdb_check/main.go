// Command sumdb_check checks SecuraMem's output independently: it shares no code with SecuraMem
// and is built only on Go's standard library, golang.org/x/mod/sumdb, the reference
// implementation SPEC §5 names for keys and signed notes (note) and of RFC 6962 Merkle proofs
// (tlog), golang.org/x/text's Unicode normalization and lukechampine.com/blake3. Debian packages
// them as golang-golang-x-mod-dev, golang-golang-x-text-dev and golang-lukechampine-blake3-dev;
// sha256 proofs are checked by tlog, b3 proofs by RFC 9162's algorithms written out in
// log_hash.go. Build it in GOPATH mode:
//
//	cd tests/interop/sumdb_check && GO111MODULE=off GOPATH=/usr/share/gocode go build -o sumdb_check .
//
// Usage:
//
//	sumdb_check open VKEYS NOTE                verify a signed note; print its text and signers
//	sumdb_check receipt VKEYS RECEIPT          verify a receipt: checkpoint signature, canonical form,
//	                                           self_hash and the inclusion proof
//	sumdb_check tlogproof VKEYS FILE           the same checks on a c2sp.org/tlog-proof@v1 file whose
//	                                           extra data is the sealed record
//	sumdb_check bundle VKEYS FILE              verify an evidence bundle (.smemctx) line by line
//	                                           (bundle.go); errors name the line
//	sumdb_check ledger VKEYS DUMP_DIR          verify a ledger database as the sqlite3 tool dumps it
//	                                           (ledger.go): every record, chain link and stored checkpoint
//	sumdb_check canonical RECEIPT              print the receipt record's canonical bytes, re-derived here
//	sumdb_check consistency VKEYS OLD NEW PROOF [ALG]  verify a consistency proof between two
//	                                           checkpoints (ALG: sha256, the default, or b3)
//	sumdb_check witness VKEYS OLD REQUEST [ALG]  check a C2SP tlog-witness add-checkpoint body as a
//	                                           witness holding the checkpoint OLD would (witness.go)
//	sumdb_check ask-witness URL VKEYS WKEY REQUEST  POST a tlog-witness add-checkpoint body to
//	                                           URL/add-checkpoint (ask_witness.go); print the answer,
//	                                           the cosignature checked against the checkpoint sent
//	sumdb_check genkey NAME                    print a new signer key and verifier key, one per line
//	sumdb_check sign SKEY TEXT                 print TEXT signed as a note
//
// VKEYS is a file of verifier keys, one per line; PROOF a file of base64 hashes, one per line.
// Exit 0 when every check passes; 1 with one line on stderr when one fails; 2 on a usage error.
package main

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
	"golang.org/x/text/unicode/norm"
)

// The top-level fields of a record in canonical order (SPEC §1).
var recordFields = []string{
	"v", "ts_ms", "writer_id", "seq", "stream", "kind", "actor", "subject", "reason", "attrs", "prev",
}

const maxSafeInteger = 1<<53 - 1

func fail(format string, args ...interface{}) error {
	return fmt.Errorf(format, args...)
}

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	twoFiles := map[string]func(string, string) error{
		"open": openCommand, "receipt": receiptCommand, "tlogproof": tlogProofCommand,
		"bundle": bundleCommand, "sign": signCommand, "cosigned": cosignedCommand, "ledger": ledgerCommand,
	}
	args := os.Args[2:]
	if command, ok := twoFiles[os.Args[1]]; ok {
		need(args, 2)
		err = command(args[0], args[1])
	} else {
		err = otherCommand(os.Args[1], args)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "sumdb_check:", err)
		os.Exit(1)
	}
}

// otherCommand runs the commands that take other than two file arguments.
func otherCommand(name string, args []string) error {
	switch name {
	case "canonical":
		need(args, 1)
		return canonicalCommand(args[0])
	case "consistency":
		if len(args) == 4 {
			args = append(args, "sha256")
		}
		need(args, 5)
		return consistencyCommand(args[0], args[1], args[2], args[3], args[4])
	case "witness":
		if len(args) == 3 {
			args = append(args, "sha256")
		}
		need(args, 4)
		return witnessCommand(args[0], args[1], args[2], args[3])
	case "genkey":
		need(args, 1)
		return genkeyCommand(args[0])
	case "ask-witness":
		need(args, 4)
		return askWitnessCommand(args[0], args[1], args[2], args[3])
	}
	usage()
	return nil
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: sumdb_check open|receipt|tlogproof|bundle|ledger|canonical|consistency|witness|ask-witness|genkey|sign|cosigned ARGS (see the source)")
	os.Exit(2)
}

func need(args []string, n int) {
	if len(args) != n {
		usage()
	}
}

func readFile(path string) []byte {
	data, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "sumdb_check:", err)
		os.Exit(2)
	}
	return data
}

// verifierKey is a verifier key's text and the verifier made from it.
type verifierKey struct {
	key      string
	verifier note.Verifier
}

// readVerifierKeys reads a VKEYS file: one verifier key a line.
func readVerifierKeys(path string) ([]verifierKey, error) {
	var keys []verifierKey
	for _, line := range strings.Split(strings.TrimSpace(string(readFile(path))), "\n") {
		key := strings.TrimSpace(line)
		v, err := note.NewVerifier(key)
		if err != nil {
			return nil, fail("verifier key %q: %v", key, err)
		}
		keys = append(keys, verifierKey{key, v})
	}
	return keys, nil
}

func verifiers(path string) (note.Verifiers, error) {
	keys, err := readVerifierKeys(path)
	var list []note.Verifier
	for _, key := range keys {
		list = append(list, key.verifier)
	}
	return note.VerifierList(list...), err
}

func printJSON(value interface{}) {
	out, _ := json.Marshal(value)
	fmt.Println(string(out))
}

// ---- signed notes and checkpoints ---------------------------------------------------------------

func openNote(vkeys string, msg []byte) (*note.Note, error) {
	known, err := verifiers(vkeys)
	if err != nil {
		return nil, err
	}
	n, err := note.Open(msg, known)
	if err != nil {
		return nil, fail("note: %v", err)
	}
	return n, nil
}

func signerNames(n *note.Note) []string {
	names := []string{}
	for _, sig := range n.Sigs {
		names = append(names, sig.Name)
	}
	return names
}

func openCommand(vkeys, path string) error {
	n, err := openNote(vkeys, readFile(path))
	if err != nil {
		return err
	}
	printJSON(map[string]interface{}{"text": n.Text, "signers": signerNames(n)})
	return nil
}

type checkpoint struct {
	origin string
	size   int64
	root   tlog.Hash
}

// parseCheckpoint reads a C2SP tlog-checkpoint body: origin, decimal size, base64 root, extensions.
func parseCheckpoint(text string) (checkpoint, error) {
	lines := strings.Split(text, "\n")
	if len(lines) < 4 || lines[len(lines)-1] != "" {
		return checkpoint{}, fail("checkpoint: want origin, size and root lines ending in a newline")
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 || strconv.FormatInt(size, 10) != lines[1] {
		return checkpoint{}, fail("checkpoint: bad tree size %q", lines[1])
	}
	root, err := decodeHash(lines[2])
	if err != nil {
		return checkpoint{}, fail("checkpoint: bad root hash %q", lines[2])
	}
	return checkpoint{lines[0], size, root}, nil
}

func openCheckpoint(vkeys string, msg []byte) (checkpoint, []string, error) {
	n, err := openNote(vkeys, msg)
	if err != nil {
		return checkpoint{}, nil, err
	}
	c, err := parseCheckpoint(n.Text)
	return c, signerNames(n), err
}

// decodeHash reads a hash in canonical base64 (docs/FORMAT.md §5: padding, zero pad bits).
func decodeHash(text string) (tlog.Hash, error) {
	var h tlog.Hash
	raw, err := base64.StdEncoding.Strict().DecodeString(text)
	if err == nil && len(raw) != tlog.HashSize {
		err = fail("%d bytes, not %d", len(raw), tlog.HashSize)
	}
	copy(h[:], raw)
	return h, err
}

func readHashes(lines []string) ([]tlog.Hash, error) {
	hashes := []tlog.Hash{}
	for i, line := range lines {
		h, err := decodeHash(line)
		if err != nil {
			return nil, fail("proof hash %d: not 32 bytes of base64: %q", i, line)
		}
		hashes = append(hashes, h)
	}
	return hashes, nil
}

// hashAndHeld reads the log hash ALG and the older checkpoint, the one a reader holds, opened with VKEYS.
func hashAndHeld(alg, vkeys, oldPath string) (logHash, checkpoint, error) {
	h, err := hashFor(alg)
	if err != nil {
		return logHash{}, checkpoint{}, err
	}
	older, _, err := openCheckpoint(vkeys, readFile(oldPath))
	return h, older, err
}

func consistencyCommand(vkeys, oldPath, newPath, proofPath, alg string) error {
	h, older, err := hashAndHeld(alg, vkeys, oldPath)
	if err != nil {
		return err
	}
	newer, _, err := openCheckpoint(vkeys, readFile(newPath))
	if err != nil {
		return err
	}
	if older.origin != newer.origin {
		return fail("checkpoints of different logs: %q and %q", older.origin, newer.origin)
	}
	text := strings.TrimSpace(string(readFile(proofPath)))
	lines := []string{}
	if text != "" {
		lines = strings.Split(text, "\n")
	}
	proof, err := readHashes(lines)
	if err != nil {
		return err
	}
	if err := h.checkConsistency(proof, newer.size, newer.root, older.size, older.root); err != nil {
		return fail("consistency %d → %d: %v", older.size, newer.size, err)
	}
	printJSON(map[string]interface{}{"old": older.size, "new": newer.size, "proof": len(proof)})
	return nil
}

// ---- receipts -------------------------------------------------------------------------------------

type receipt struct {
	V          int             `json:"v"`
	Record     json.RawMessage `json:"record"`
	Index      int64           `json:"index"`
	Proof      []string        `json:"proof"`
	Checkpoint string          `json:"checkpoint"`
}

func readReceipt(path string) (receipt, error) {
	var r receipt
	dec := json.NewDecoder(bytes.NewReader(readFile(path)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return r, fail("receipt: %v", err)
	}
	if r.V != 1 {
		return r, fail("receipt: v is %d, not 1", r.V)
	}
	return r, nil
}

// sealedRecord is a record as stored and exported: its canonical bytes (SPEC §2), its self_hash,
// and its fields as decoded.
type sealedRecord struct {
	canonical []byte
	selfHash  string
	fields    map[string]interface{}
}

// readSealedRecord re-derives the canonical bytes of a sealed record and checks its fields
// (docs/FORMAT.md §1); raw must be exactly those bytes with `,"self_hash":"…"` before the closing
// brace.
func readSealedRecord(raw []byte) (sealedRecord, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var fields map[string]interface{}
	if err := dec.Decode(&fields); err != nil {
		return sealedRecord{}, fail("record: %v", err)
	}
	if len(fields) != len(recordFields)+1 {
		return sealedRecord{}, fail("record has %d fields, want 12", len(fields))
	}
	selfHash, ok := fields["self_hash"].(string)
	if !ok {
		return sealedRecord{}, fail("record: self_hash is not a string")
	}
	var b strings.Builder
	b.WriteByte('{')
	for i, name := range recordFields {
		value, present := fields[name]
		if !present {
			return sealedRecord{}, fail("record: missing field %q", name)
		}
		if i > 0 {
			b.WriteByte(',')
		}
		writeString(&b, name)
		b.WriteByte(':')
		if err := writeValue(&b, value); err != nil {
			return sealedRecord{}, fail("record field %s: %v", name, err)
		}
	}
	b.WriteByte('}')
	canonical := []byte(b.String())
	sealed := append(append([]byte{}, canonical[:len(canonical)-1]...), `,"self_hash":`...)
	sealed = append(append(sealed, strconv.Quote(selfHash)...), '}')
	if !bytes.Equal(sealed, raw) {
		return sealedRecord{}, fail("record is not in canonical form:\n got %s\nwant %s", raw, sealed)
	}
	if !utf8.Valid(canonical) {
		return sealedRecord{}, fail("record is not UTF-8")
	}
	if err := checkFields(fields); err != nil {
		return sealedRecord{}, err
	}
	return sealedRecord{canonical, selfHash, fields}, nil
}

// writeValue writes a JSON value as RFC 8785 does for integers, strings, arrays and objects.
func writeValue(b *strings.Builder, value interface{}) error {
	switch v := value.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(v))
	case string:
		writeString(b, v)
	case json.Number:
		n, err := strconv.ParseInt(string(v), 10, 64)
		if err != nil || n > maxSafeInteger || n < -maxSafeInteger {
			return errors.New("number " + string(v) + " is not a safe integer")
		}
		b.WriteString(strconv.FormatInt(n, 10))
	case []interface{}:
		b.WriteByte('[')
		for i, item := range v {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := writeValue(b, item); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	case map[string]interface{}:
		keys := make([]string, 0, len(v))
		for key := range v {
			keys = append(keys, key)
		}
		sort.Slice(keys, func(i, j int) bool { return lessUTF16(keys[i], keys[j]) })
		b.WriteByte('{')
		for i, key := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			writeString(b, key)
			b.WriteByte(':')
			if err := writeValue(b, v[key]); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	default:
		return fmt.Errorf("unexpected JSON value %T", value)
	}
	return nil
}

// lessUTF16 orders strings by their UTF-16 code units (RFC 8785 §3.2.3), not by code points.
func lessUTF16(a, b string) bool {
	x, y := utf16.Encode([]rune(a)), utf16.Encode([]rune(b))
	for i := 0; i < len(x) && i < len(y); i++ {
		if x[i] != y[i] {
			return x[i] < y[i]
		}
	}
	return len(x) < len(y)
}

// writeString writes s in Unicode NFC as a JSON string: a record string that is not in NFC is
// written as its NFC form, so the record's bytes no longer match (SPEC §2).
func writeString(b *strings.Builder, s string) {
	writeJSONString(b, norm.NFC.String(s))
}

// writeJSONString escapes as RFC 8785 §3.2.2.2 (and JavaScript's JSON.stringify): `"` and `\`, the
// short forms \b \t \n \f \r, other controls as \u00xx, everything else (U+2028 and U+2029
// included) as UTF-8.
func writeJSONString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\b':
			b.WriteString(`\b`)
		case '\t':
			b.WriteString(`\t`)
		case '\n':
			b.WriteString(`\n`)
		case '\f':
			b.WriteString(`\f`)
		case '\r':
			b.WriteString(`\r`)
		default:
			if r < 0x20 {
				fmt.Fprintf(b, `\u%04x`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
}

func canonicalCommand(path string) error {
	r, err := readReceipt(path)
	if err != nil {
		return err
	}
	record, err := readSealedRecord(r.Record)
	if err != nil {
		return err
	}
	_, err = os.Stdout.Write(record.canonical)
	return err
}

func receiptCommand(vkeys, path string) error {
	r, err := readReceipt(path)
	if err != nil {
		return err
	}
	return checkReceipt(vkeys, r)
}

func tlogProofCommand(vkeys, path string) error {
	r, err := parseTlogProof(readFile(path))
	if err != nil {
		return err
	}
	return checkReceipt(vkeys, r)
}

// checkReceipt verifies the checkpoint's signature, the record's canonical form, its self_hash and
// its inclusion proof; prints what it checked.
func checkReceipt(vkeys string, r receipt) error {
	c, signers, err := openCheckpoint(vkeys, []byte(r.Checkpoint))
	if err != nil {
		return err
	}
	record, err := readSealedRecord(r.Record)
	if err != nil {
		return err
	}
	canonical, selfHash := record.canonical, record.selfHash
	proof, err := readHashes(r.Proof)
	if err != nil {
		return err
	}
	alg, _, _ := strings.Cut(selfHash, ":")
	h, err := hashFor(alg)
	if err != nil {
		return err
	}
	digest := h.sum(canonical)
	if want := h.tagged(digest); selfHash != want {
		return fail("self_hash is %s; the canonical bytes hash to %s", selfHash, want)
	}
	if err := h.checkInclusion(proof, c.size, c.root, r.Index, h.leaf(digest[:])); err != nil {
		return fail("inclusion of leaf %d in the tree of %d: %v", r.Index, c.size, err)
	}
	printJSON(map[string]interface{}{
		"index": r.Index, "size": c.size, "self_hash": selfHash, "signers": signers,
		"checked": []string{"signature", "canonical form", "self_hash", "inclusion"},
	})
	return nil
}

// ---- tlog-proof files ------------------------------------------------------------------------------

const tlogProofHeader = "c2sp.org/tlog-proof@v1"

// parseTlogProof reads a C2SP tlog-proof (c2sp.org/tlog-proof): its header line, an optional
// "extra" line of standard base64, the "index" line, one base64 hash per line, a blank line, then
// the checkpoint verbatim. SecuraMem writes the sealed record as the extra data, so the file reads
// as a receipt.
func parseTlogProof(data []byte) (receipt, error) {
	text := string(data)
	blank := strings.Index(text, "\n\n")
	if blank < 0 {
		return receipt{}, fail("tlog-proof: no blank line before the checkpoint")
	}
	lines := strings.Split(text[:blank], "\n")
	if lines[0] != tlogProofHeader {
		return receipt{}, fail("tlog-proof: first line is %q, not %s", lines[0], tlogProofHeader)
	}
	r := receipt{V: 1, Checkpoint: text[blank+2:]}
	at := 1
	if at < len(lines) && strings.HasPrefix(lines[at], "extra ") {
		extra, err := base64.StdEncoding.Strict().DecodeString(strings.TrimPrefix(lines[at], "extra "))
		if err != nil {
			return receipt{}, fail("tlog-proof: extra data: %v", err)
		}
		r.Record = extra
		at++
	}
	if r.Record == nil {
		return receipt{}, fail("tlog-proof: no extra data carrying the record")
	}
	if at >= len(lines) || !strings.HasPrefix(lines[at], "index ") {
		return receipt{}, fail("tlog-proof: line %d is not \"index N\"", at+1)
	}
	digits := strings.TrimPrefix(lines[at], "index ")
	index, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || index < 0 || strconv.FormatInt(index, 10) != digits {
		return receipt{}, fail("tlog-proof: bad index %q", digits)
	}
	r.Index = index
	r.Proof = lines[at+1:]
	return r, nil
}

// ---- keys ---------------------------------------------------------------------------------------

func genkeyCommand(name string) error {
	skey, vkey, err := note.GenerateKey(rand.Reader, name)
	if err != nil {
		return err
	}
	fmt.Println(skey)
	fmt.Println(vkey)
	return nil
}

func signCommand(skeyPath, textPath string) error {
	signer, err := note.NewSigner(strings.TrimSpace(string(readFile(skeyPath))))
	if err != nil {
		return fail("signer key: %v", err)
	}
	msg, err := note.Sign(&note.Note{Text: string(readFile(textPath))}, signer)
	if err != nil {
		return fail("sign: %v", err)
	}
	_, err = os.Stdout.Write(msg)
	return err
}

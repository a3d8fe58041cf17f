package main

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// An evidence bundle (.smemctx) checked as docs/FORMAT.md §7 describes it, one line at a time:
// the header in its canonical form, the log's first key (the first rotation's old key, or without
// rotations a signer of the final checkpoint), key rotation statements, the subtrees left of the
// range, the records (canonical form, fields, self_hash, chain links), payload blobs, checkpoints
// (signature by a trusted key, origin, size, root of the tree rebuilt so far), the subtrees right
// of the range, the final checkpoint and the end line's counts. The tree is kept as
// its frontier of complete subtrees, so memory is bounded by the tree height and the number of
// chains. Hashes are the header's alg (log_hash.go).

const bundleMagic = "smemctx/2"

var (
	nodeLinePattern = regexp.MustCompile(`^(0|[1-9][0-9]?) ([A-Za-z0-9+/]{43}=)$`)
	blobLinePattern = regexp.MustCompile(`^(0|[1-9][0-9]*) ((?:b3|sha256):[0-9a-f]{64}) ([A-Za-z0-9+/]*={0,2})$`)
	rotationLeaf    = regexp.MustCompile(`^leaf (0|[1-9][0-9]*)$`)
)

const rotationHeader = "securamem/key-rotation/v1"

type bundleHeader struct {
	Origin string `json:"origin"`
	Alg    string `json:"alg"`
	From   int64  `json:"from"`
	To     int64  `json:"to"`
	Size   int64  `json:"size"`
}

// canonical is the header line as SecuraMem writes it.
func (h bundleHeader) canonical() string {
	var b strings.Builder
	b.WriteString(bundleMagic + ` {"origin":`)
	writeJSONString(&b, h.Origin)
	fmt.Fprintf(&b, `,"alg":"%s","from":%d,"to":%d,"size":%d}`, h.Alg, h.From, h.To, h.Size)
	return b.String()
}

// keyWindow is a trusted key and the checkpoint sizes it may sign (a rotation closes it).
type keyWindow struct {
	verifierKey
	from, to int64
}

type subtree struct {
	level int
	hash  tlog.Hash
}

type chainHead struct {
	nextSeq int64
	prev    string
}

type bundleChecker struct {
	stage       string // header, key, keys, left, records, right, final, done
	line        int64
	header      bundleHeader
	hash        logHash
	logKey      verifierKey // the key line
	rotations   int
	windows     []keyWindow
	frontier    []subtree
	size        int64
	leftLevels  []int
	rightLevels []int
	chains      map[[2]string]chainHead
	blobSlot    string // "<leaf> <content_id>" when the line before is a record naming a payload
	records     int64
	checkpoints int64
	blobs       int64
}

func bundleCommand(vkeys, path string) error {
	windows, err := trustedWindows(vkeys)
	if err != nil {
		return err
	}
	file, err := os.Open(path)
	if err != nil {
		return err
	}
	defer file.Close()
	c := &bundleChecker{stage: "header", windows: windows, chains: map[[2]string]chainHead{}}
	reader := bufio.NewReader(file)
	for {
		text, err := reader.ReadString('\n')
		if err == io.EOF {
			if text != "" {
				return fail("line %d: the last line has no newline (truncated)", c.line+1)
			}
			break
		}
		if err != nil {
			return err
		}
		c.line++
		if err := c.feed(strings.TrimSuffix(text, "\n")); err != nil {
			return fail("line %d: %v", c.line, err)
		}
	}
	if c.stage != "done" {
		return fail("line %d: the bundle ends before its end line (truncated)", c.line)
	}
	printJSON(map[string]interface{}{
		"origin": c.header.Origin, "from": c.header.From, "to": c.header.To, "size": c.size,
		"records": c.records, "checkpoints": c.checkpoints, "chains": len(c.chains), "blobs": c.blobs,
	})
	return nil
}

func trustedWindows(path string) ([]keyWindow, error) {
	keys, err := readVerifierKeys(path)
	var windows []keyWindow
	for _, key := range keys {
		windows = append(windows, keyWindow{key, 0, math.MaxInt64})
	}
	return windows, err
}

func (c *bundleChecker) feed(text string) error {
	if !utf8.ValidString(text) {
		return fail("not UTF-8")
	}
	tag, rest, _ := strings.Cut(text, " ")
	if c.stage == "header" {
		return c.readHeader(tag, rest)
	}
	if c.stage == "key" {
		return c.readKey(tag, rest)
	}
	if c.stage == "done" {
		return fail("text after the end line")
	}
	blobSlot := c.blobSlot
	c.blobSlot = ""
	switch tag {
	case "key":
		return fail("one key line only, right after the header")
	case "rotation":
		return c.readRotation(rest)
	case "left", "right":
		return c.readNode(tag, rest)
	case "rec":
		return c.readRecord(rest)
	case "blob":
		return c.readBlob(rest, blobSlot)
	case "cp":
		return c.readCheckpoint(rest)
	case "end":
		if c.stage != "final" {
			return fail("the end line must follow the final checkpoint")
		}
		if want := fmt.Sprintf("%d %d", c.records, c.line); rest != want {
			return fail("end line says %q; the bundle holds %d records in %d lines", rest, c.records, c.line)
		}
		c.stage = "done"
		return nil
	}
	return fail("unknown line tag %q", tag)
}

func (c *bundleChecker) readHeader(tag, rest string) error {
	if tag != bundleMagic {
		return fail("not a SecuraMem bundle (expected %s)", bundleMagic)
	}
	dec := json.NewDecoder(strings.NewReader(rest))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c.header); err != nil {
		return fail("header: %v", err)
	}
	h := c.header
	if h.canonical() != tag+" "+rest {
		return fail("header is not in canonical form")
	}
	if h.From < 0 || h.From > h.To || h.To > h.Size || h.Size > maxSafeInteger || h.Origin == "" {
		return fail("header fields are inconsistent")
	}
	hash, err := hashFor(h.Alg)
	if err != nil {
		return err
	}
	c.hash = hash
	c.leftLevels, c.rightLevels = decompose(0, h.From), decompose(h.To, h.Size)
	c.stage = "key"
	return nil
}

func (c *bundleChecker) readKey(tag, key string) error {
	if tag != "key" {
		return fail("the key line must follow the header")
	}
	v, err := note.NewVerifier(key)
	if err != nil {
		return fail("key line: %v", err)
	}
	c.logKey = verifierKey{key, v}
	c.stage = "keys"
	return nil
}

// readRotation follows a key rotation: both keys sign it, and the old key must be the current one.
func (c *bundleChecker) readRotation(text string) error {
	if c.stage != "keys" {
		return fail("rotation lines must follow the key line")
	}
	statement, err := jsonStringLine(text)
	if err != nil {
		return err
	}
	lines := strings.Split(statement[:strings.LastIndex(statement, "\n\n")+1], "\n")
	if len(lines) != 6 || lines[0] != rotationHeader || !rotationLeaf.MatchString(lines[2]) {
		return fail("not a %s statement", rotationHeader)
	}
	if lines[1] != c.header.Origin {
		return fail("rotation of another log (%s)", lines[1])
	}
	leaf, _ := strconv.ParseInt(strings.TrimPrefix(lines[2], "leaf "), 10, 64)
	oldKey, err := note.NewVerifier(lines[3])
	if err != nil {
		return fail("rotation old key: %v", err)
	}
	newKey, err := note.NewVerifier(lines[4])
	if err != nil {
		return fail("rotation new key: %v", err)
	}
	n, err := note.Open([]byte(statement), note.VerifierList(oldKey, newKey))
	if err != nil {
		return fail("rotation: %v", err)
	}
	if len(n.Sigs) != 2 {
		return fail("a rotation must be signed by both the old and the new key")
	}
	if c.rotations++; c.rotations == 1 && lines[3] != c.logKey.key {
		return fail("the first rotation is not from the key on line 2")
	}
	for i := range c.windows {
		if w := &c.windows[i]; w.key == lines[3] && w.to == math.MaxInt64 {
			w.to = leaf + 1
			c.windows = append(c.windows, keyWindow{verifierKey{lines[4], newKey}, leaf + 1, math.MaxInt64})
			return nil
		}
	}
	return fail("rotation from a key that is not the current trusted key: %s", lines[3])
}

func (c *bundleChecker) readNode(side, text string) error {
	if side == "left" {
		if c.stage == "keys" {
			c.stage = "left"
		}
		if c.stage != "left" {
			return fail("left lines must precede the records")
		}
	} else {
		if c.stage == "keys" || c.stage == "left" || c.stage == "records" {
			if err := c.beginRight(); err != nil {
				return err
			}
		}
		if c.stage != "right" {
			return fail("right lines must follow the records")
		}
	}
	m := nodeLinePattern.FindStringSubmatch(text)
	if m == nil {
		return fail("%s line must be '<level> <base64 hash>'", side)
	}
	hash, err := decodeHash(m[2])
	if err != nil {
		return fail("%s line: %v", side, err)
	}
	expected := &c.leftLevels
	if side == "right" {
		expected = &c.rightLevels
	}
	level, _ := strconv.Atoi(m[1])
	if len(*expected) == 0 || (*expected)[0] != level {
		return fail("unexpected %s node of level %d", side, level)
	}
	*expected = (*expected)[1:]
	c.push(subtree{level, hash})
	return nil
}

func (c *bundleChecker) endLeft() error {
	if len(c.leftLevels) > 0 {
		return fail("%d left nodes are missing", len(c.leftLevels))
	}
	return nil
}

func (c *bundleChecker) beginRight() error {
	if err := c.endLeft(); err != nil {
		return err
	}
	if c.size != c.header.To {
		return fail("the records end at leaf %d, the header says %d", c.size, c.header.To)
	}
	c.stage = "right"
	return nil
}

// enterRecords ends the left lines at the first record or checkpoint.
func (c *bundleChecker) enterRecords() error {
	if c.stage == "keys" || c.stage == "left" {
		if err := c.endLeft(); err != nil {
			return err
		}
		c.stage = "records"
	}
	return nil
}

func (c *bundleChecker) readRecord(text string) error {
	if err := c.enterRecords(); err != nil {
		return err
	}
	if c.stage != "records" {
		return fail("records must come between left and right lines")
	}
	if c.size >= c.header.To {
		return fail("more records than the header's range %d…%d", c.header.From, c.header.To-1)
	}
	record, err := readSealedRecord([]byte(text))
	if err != nil {
		return err
	}
	digest := c.hash.sum(record.canonical)
	if want := c.hash.tagged(digest); record.selfHash != want {
		return fail("leaf %d: self_hash is %s; the canonical bytes hash to %s", c.size, record.selfHash, want)
	}
	if err := c.link(record); err != nil {
		return fail("leaf %d: %v", c.size, err)
	}
	if id, ok := record.fields["subject"].(map[string]interface{})["content_id"].(string); ok {
		c.blobSlot = fmt.Sprintf("%d %s", c.size, id)
	}
	c.push(subtree{0, c.hash.leaf(digest[:])})
	c.records++
	return nil
}

// link checks a record continues its chain (writer_id, stream). A bundle from leaf 0 holds every
// chain from its first record; a later range may start a chain mid-way unless it starts at seq 1.
func (c *bundleChecker) link(record sealedRecord) error {
	writer, stream := record.fields["writer_id"].(string), record.fields["stream"].(string)
	seq, _ := strconv.ParseInt(string(record.fields["seq"].(json.Number)), 10, 64)
	prev := record.fields["prev"].(string)
	key := [2]string{writer, stream}
	head, known := c.chains[key]
	if !known && (c.header.From == 0 || seq == 1) {
		head, known = chainHead{1, c.header.Alg + ":0"}, true
	}
	if known && seq != head.nextSeq {
		return fail("chain %q/%q: seq %d where the chain expects %d", writer, stream, seq, head.nextSeq)
	}
	if known && prev != head.prev {
		return fail("chain %q/%q seq %d: prev %s is not %s", writer, stream, seq, prev, head.prev)
	}
	c.chains[key] = chainHead{seq + 1, record.selfHash}
	return nil
}

// readBlob checks a payload line: right after the record of its leaf, which names its content id,
// the hash of its bytes.
func (c *bundleChecker) readBlob(text, slot string) error {
	m := blobLinePattern.FindStringSubmatch(text)
	if m == nil {
		return fail("blob line must be '<leaf> <content_id> <base64>'")
	}
	payload, err := base64.StdEncoding.Strict().DecodeString(m[3])
	if err != nil {
		return fail("blob %s: %v", m[2], err)
	}
	if slot != m[1]+" "+m[2] {
		return fail("blob of leaf %s does not follow the record of that leaf naming %s", m[1], m[2])
	}
	if c.hash.tagged(c.hash.sum(payload)) != m[2] {
		return fail("blob bytes do not hash to %s", m[2])
	}
	c.blobs++
	return nil
}

// readCheckpoint opens a checkpoint with the keys trusted at the tree's size; its size and root
// must be the tree's as rebuilt from the lines before it.
func (c *bundleChecker) readCheckpoint(text string) error {
	if err := c.enterRecords(); err != nil {
		return err
	}
	if c.stage != "records" && c.stage != "right" {
		return fail("misplaced checkpoint line")
	}
	msg, err := jsonStringLine(text)
	if err != nil {
		return err
	}
	return c.checkCheckpoint(msg)
}

// checkCheckpoint opens a signed checkpoint note with the keys trusted at the tree's size and
// compares its origin, size and root with the tree rebuilt so far.
func (c *bundleChecker) checkCheckpoint(msg string) error {
	var trusted []note.Verifier
	for _, w := range c.windows {
		if w.from <= c.size && c.size <= w.to {
			trusted = append(trusted, w.verifier)
		}
	}
	n, err := note.Open([]byte(msg), note.VerifierList(trusted...))
	if err != nil {
		return fail("checkpoint at size %d: %v", c.size, err)
	}
	cp, err := parseCheckpoint(n.Text)
	if err != nil {
		return err
	}
	if cp.origin != c.header.Origin {
		return fail("checkpoint origin %s is not %s", cp.origin, c.header.Origin)
	}
	if cp.size != c.size {
		return fail("checkpoint of size %d stands where the tree has %d leaves", cp.size, c.size)
	}
	if root := c.root(); root != cp.root {
		return fail("the lines before give root %x at size %d; the signed checkpoint says %x", root[:], c.size, cp.root[:])
	}
	c.checkpoints++
	if c.size == c.header.Size {
		if len(c.rightLevels) > 0 {
			return fail("%d right nodes are missing", len(c.rightLevels))
		}
		if _, err := note.Open([]byte(msg), note.VerifierList(c.logKey.verifier)); c.rotations == 0 && err != nil {
			return fail("the key on line 2 did not sign the final checkpoint: %v", err)
		}
		c.stage = "final"
	}
	return nil
}

// jsonStringLine decodes a line that must be exactly one JSON string as JSON.stringify writes it.
func jsonStringLine(text string) (string, error) {
	var s string
	if err := json.Unmarshal([]byte(text), &s); err != nil {
		return "", fail("want a JSON string: %v", err)
	}
	var b strings.Builder
	writeJSONString(&b, s)
	if b.String() != text {
		return "", fail("not exactly a JSON string as written")
	}
	return s, nil
}

// push appends a complete subtree at the right edge, merging equal levels as appending leaves does.
func (c *bundleChecker) push(s subtree) {
	c.frontier = append(c.frontier, s)
	c.size += int64(1) << s.level
	for n := len(c.frontier); n >= 2 && c.frontier[n-1].level == c.frontier[n-2].level; n-- {
		merged := subtree{c.frontier[n-2].level + 1, c.hash.node(c.frontier[n-2].hash, c.frontier[n-1].hash)}
		c.frontier = append(c.frontier[:n-2], merged)
	}
}

// root is RFC 6962's root of the tree the frontier describes: its subtrees hashed right to left.
func (c *bundleChecker) root() tlog.Hash {
	if len(c.frontier) == 0 {
		return c.hash.emptyRoot()
	}
	h := c.frontier[len(c.frontier)-1].hash
	for i := len(c.frontier) - 2; i >= 0; i-- {
		h = c.hash.node(c.frontier[i].hash, h)
	}
	return h
}

// decompose lists the levels of the complete, aligned subtrees tiling leaves [lo, hi), left to right.
func decompose(lo, hi int64) []int {
	levels := []int{}
	for lo < hi {
		level := 62
		for int64(1)<<level > hi-lo || lo%(int64(1)<<level) != 0 {
			level--
		}
		levels = append(levels, level)
		lo += int64(1) << level
	}
	return levels
}

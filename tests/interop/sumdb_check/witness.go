package main

import (
	"bytes"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/tlog"
)

// The most proof lines a tlog-witness request may carry.
const maxWitnessProof = 63

// witnessRequest is a C2SP tlog-witness add-checkpoint body: "old N", the consistency proof from N
// leaves one base64 hash a line, a blank line, then the signed checkpoint note.
type witnessRequest struct {
	oldSize int64
	proof   []tlog.Hash
	note    []byte
}

func parseWitnessRequest(body []byte) (witnessRequest, error) {
	head, note, ok := bytes.Cut(body, []byte("\n\n"))
	if !ok {
		return witnessRequest{}, fail("request: no blank line before the checkpoint")
	}
	lines := strings.Split(string(head), "\n")
	sizeText := strings.TrimPrefix(lines[0], "old ")
	oldSize, err := strconv.ParseInt(sizeText, 10, 64)
	if err != nil || oldSize < 0 || sizeText == lines[0] || strconv.FormatInt(oldSize, 10) != sizeText {
		return witnessRequest{}, fail("request line 1: want \"old N\", got %q", lines[0])
	}
	if len(lines)-1 > maxWitnessProof {
		return witnessRequest{}, fail("request: %d proof lines, over %d", len(lines)-1, maxWitnessProof)
	}
	proof, err := readHashes(lines[1:])
	if err != nil {
		return witnessRequest{}, fail("request: %v", err)
	}
	return witnessRequest{oldSize, proof, note}, nil
}

// witnessCommand checks REQUEST as a witness whose latest cosigned checkpoint is OLD: the new note
// opens with VKEYS, names the same log, starts from OLD's size and is consistent with OLD's root.
// A witness that has seen nothing of the log (old 0) takes the proof as empty and checks no root.
func witnessCommand(vkeys, oldPath, requestPath, alg string) error {
	h, older, err := hashAndHeld(alg, vkeys, oldPath)
	if err != nil {
		return err
	}
	request, err := parseWitnessRequest(readFile(requestPath))
	if err != nil {
		return err
	}
	newer, signers, err := openCheckpoint(vkeys, request.note)
	if err != nil {
		return err
	}
	switch {
	case newer.origin != older.origin:
		return fail("checkpoints of different logs: %q and %q", older.origin, newer.origin)
	case request.oldSize != older.size:
		return fail("request from size %d, but the witness holds size %d", request.oldSize, older.size)
	case newer.size < older.size:
		return fail("rollback: size %d after %d", newer.size, older.size)
	case older.size == 0 && len(request.proof) != 0:
		return fail("a proof from size 0 must be empty")
	case older.size == newer.size && older.root != newer.root:
		return fail("fork: two roots for size %d", older.size)
	case older.size > 0 && older.size < newer.size:
		if err := h.checkConsistency(request.proof, newer.size, newer.root, older.size, older.root); err != nil {
			return fail("consistency %d → %d: %v", older.size, newer.size, err)
		}
	case len(request.proof) != 0:
		return fail("a proof between equal sizes must be empty")
	}
	printJSON(map[string]interface{}{"old": older.size, "new": newer.size, "proof": len(request.proof), "signers": signers})
	return nil
}

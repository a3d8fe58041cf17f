package main

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// The media type of a 409 body naming the size a witness holds (C2SP tlog-witness).
const tlogSizeType = "text/x.tlog.size"

// askWitnessCommand is a C2SP tlog-witness client: it POSTs the add-checkpoint body in REQUEST to
// URL/add-checkpoint and prints what came back as JSON. A 200 body must be cosignature lines that,
// appended to the checkpoint sent, open with the log's keys VKEYS and the witness key WKEY; a 409
// of type text/x.tlog.size must be one decimal size and a newline. Other answers are printed as
// they are, with their status.
func askWitnessCommand(url, vkeys, wkeyPath, requestPath string) error {
	request := readFile(requestPath)
	parsed, err := parseWitnessRequest(request)
	if err != nil {
		return err
	}
	resp, err := http.Post(url+"/add-checkpoint", "text/plain", bytes.NewReader(request))
	if err != nil {
		return fail("POST: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return fail("reading the answer: %v", err)
	}
	contentType := resp.Header.Get("Content-Type")
	switch {
	case resp.StatusCode == http.StatusOK:
		return printCosigned(parsed.note, body, vkeys, wkeyPath)
	case resp.StatusCode == http.StatusConflict && contentType == tlogSizeType:
		size, err := parseSizeBody(body)
		if err != nil {
			return err
		}
		printJSON(map[string]interface{}{"status": resp.StatusCode, "held_size": size})
		return nil
	}
	printJSON(map[string]interface{}{"status": resp.StatusCode, "content_type": contentType, "body": string(body)})
	return nil
}

// printCosigned opens the checkpoint sent with the witness's lines appended, as the spec suggests
// a client does, and prints every signer that verified.
func printCosigned(checkpoint, lines []byte, vkeys, wkeyPath string) error {
	if len(lines) == 0 || !bytes.HasPrefix(lines, []byte("— ")) || !bytes.HasSuffix(lines, []byte("\n")) {
		return fail("200 body is not note signature lines: %q", lines)
	}
	witness, err := parseCosignerKey(strings.TrimSpace(string(readFile(wkeyPath))))
	if err != nil {
		return err
	}
	keys, err := readVerifierKeys(vkeys)
	if err != nil {
		return err
	}
	list := []note.Verifier{witness}
	for _, key := range keys {
		list = append(list, key.verifier)
	}
	n, err := note.Open(append(append([]byte{}, checkpoint...), lines...), note.VerifierList(list...))
	if err != nil {
		return fail("the checkpoint with the witness's answer: %v", err)
	}
	printJSON(map[string]interface{}{"status": http.StatusOK, "signers": signerNames(n), "cosigned_at": witness.signed})
	return nil
}

// parseSizeBody reads a text/x.tlog.size body: a decimal with no leading zeros, then a newline.
func parseSizeBody(body []byte) (int64, error) {
	ok := strings.HasSuffix(string(body), "\n")
	text := strings.TrimSuffix(string(body), "\n")
	size, err := strconv.ParseInt(text, 10, 64)
	if !ok || err != nil || size < 0 || strconv.FormatInt(size, 10) != text {
		return 0, fail("409 body is not a size line: %q", body)
	}
	return size, nil
}

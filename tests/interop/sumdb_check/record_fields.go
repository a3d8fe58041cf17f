package main

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The field rules of docs/FORMAT.md §1, written from the table there.
var (
	streamPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)
	kindPattern   = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.]{0,63}$`)
	hashPattern   = regexp.MustCompile(`^(b3|sha256):(0|[0-9a-f]{64})$`)
)

// checkFields checks each field of a decoded record against its rule; the first that breaks one
// is named.
func checkFields(fields map[string]interface{}) error {
	if v, err := integerField(fields, "v", 1); err != nil || v != 1 {
		return fail("record field v: must be 1")
	}
	if _, err := integerField(fields, "ts_ms", 0); err != nil {
		return err
	}
	if _, err := integerField(fields, "seq", 1); err != nil {
		return err
	}
	if err := textField(fields, "writer_id", 1, 128); err != nil {
		return err
	}
	if err := textField(fields, "reason", 0, 256); err != nil {
		return err
	}
	for _, rule := range []struct {
		name    string
		pattern *regexp.Regexp
	}{{"stream", streamPattern}, {"kind", kindPattern}, {"prev", hashPattern}, {"self_hash", hashPattern}} {
		if s, ok := fields[rule.name].(string); !ok || !rule.pattern.MatchString(s) {
			return fail("record field %s: must match %s", rule.name, rule.pattern)
		}
	}
	if strings.HasSuffix(fields["self_hash"].(string), ":0") {
		return fail("record field self_hash: must be a hash")
	}
	for _, name := range []string{"actor", "subject", "attrs"} {
		if _, ok := fields[name].(map[string]interface{}); !ok {
			return fail("record field %s: must be an object", name)
		}
	}
	return nil
}

// integerField reads a safe integer of at least min.
func integerField(fields map[string]interface{}, name string, min int64) (int64, error) {
	number, ok := fields[name].(json.Number)
	if !ok {
		return 0, fail("record field %s: must be an integer", name)
	}
	n, err := strconv.ParseInt(string(number), 10, 64)
	if err != nil || n < min || n > maxSafeInteger {
		return 0, fail("record field %s: must be an integer in %d…2^53−1", name, min)
	}
	return n, nil
}

// textField reads a string of min…max code points.
func textField(fields map[string]interface{}, name string, min, max int) error {
	s, ok := fields[name].(string)
	if !ok {
		return fail("record field %s: must be a string", name)
	}
	if n := utf8.RuneCountInString(s); n < min || n > max {
		return fail("record field %s: must be %d–%d characters, got %d", name, min, max, n)
	}
	return nil
}

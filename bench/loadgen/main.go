// Command loadgen is the open-loop HTTP load generator of `deno task bench:server`: request i is
// due at start + i/rate whatever happened to the others, and its latency counts from when it was
// due (no coordinated omission, as wrk2 does). It runs as its own native process, so the client
// costs the server little CPU and none of its event loop. Standard library only:
//
//	GO111MODULE=off go build -o loadgen ./bench/loadgen
//	loadgen -url URL -body FILE [-token T] [-rate 1000] [-seconds 10]
//
// It POSTs FILE as JSON (a bearer token if given) for -seconds and prints one JSON line: sent, ok
// (answered 201), failed, and latency quantiles in ms.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"sort"
	"sync"
	"syscall"
	"time"
)

type result struct {
	Sent   int     `json:"sent"`
	OK     int     `json:"ok"`
	Failed int     `json:"failed"`
	P50    float64 `json:"p50_ms"`
	P99    float64 `json:"p99_ms"`
	P999   float64 `json:"p999_ms"`
	Max    float64 `json:"max_ms"`
}

func main() {
	url := flag.String("url", "", "where to POST")
	token := flag.String("token", "", "bearer token, if any")
	bodyFile := flag.String("body", "", "file holding the request body")
	rate := flag.Int("rate", 1000, "requests per second")
	seconds := flag.Float64("seconds", 10, "how long to send")
	flag.Parse()
	body, err := os.ReadFile(*bodyFile)
	if *url == "" || *rate <= 0 || err != nil {
		fmt.Fprintln(os.Stderr, "usage: loadgen -url URL -body FILE [-token T] [-rate N] [-seconds S]", err)
		os.Exit(2)
	}
	client := &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{MaxIdleConns: 512, MaxIdleConnsPerHost: 512},
	}
	post := func() bool {
		request, _ := http.NewRequest(http.MethodPost, *url, bytes.NewReader(body))
		request.Header.Set("content-type", "application/json")
		if *token != "" {
			request.Header.Set("authorization", "Bearer "+*token)
		}
		response, err := client.Do(request)
		if err != nil {
			return false
		}
		_, err = io.Copy(io.Discard, response.Body)
		response.Body.Close()
		return err == nil && response.StatusCode == http.StatusCreated
	}
	// The schedule sleeps with nanosleep on a thread of its own: Go's timers round up to ~1 ms here,
	// which would send requests in bursts and count the generator's lateness as latency.
	runtime.LockOSThread()
	latencies, failed := run(*rate, *seconds, post)
	if err := json.NewEncoder(os.Stdout).Encode(summarize(latencies, failed)); err != nil {
		os.Exit(1)
	}
}

// run sends rate·seconds requests on schedule; the latencies (ms) of those answered 201, sorted,
// and how many failed.
func run(rate int, seconds float64, post func() bool) ([]float64, int) {
	total := int(float64(rate) * seconds)
	period := time.Second / time.Duration(rate)
	latencies := make([]float64, total)
	ok := make([]bool, total)
	var inFlight sync.WaitGroup
	start := time.Now()
	for i := 0; i < total; i++ {
		due := start.Add(time.Duration(i) * period)
		if wait := time.Until(due); wait > 0 {
			pause := syscall.NsecToTimespec(int64(wait))
			syscall.Nanosleep(&pause, nil)
		}
		inFlight.Add(1)
		go func(i int, due time.Time) {
			defer inFlight.Done()
			ok[i] = post()
			latencies[i] = float64(time.Since(due).Microseconds()) / 1000
		}(i, due)
	}
	inFlight.Wait()
	answered := latencies[:0]
	for i, latency := range latencies {
		if ok[i] {
			answered = append(answered, latency)
		}
	}
	sort.Float64s(answered)
	return answered, total - len(answered)
}

func summarize(latencies []float64, failed int) result {
	quantile := func(q float64) float64 {
		if len(latencies) == 0 {
			return -1
		}
		i := int(q * float64(len(latencies)))
		if i >= len(latencies) {
			i = len(latencies) - 1
		}
		return latencies[i]
	}
	return result{
		Sent: len(latencies) + failed, OK: len(latencies), Failed: failed,
		P50: quantile(0.5), P99: quantile(0.99), P999: quantile(0.999), Max: quantile(1),
	}
}

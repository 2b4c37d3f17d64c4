// Command go-launcher starts klingflow's generateVideo workflow with the Temporal Go SDK and
// waits for its result. It shows the whole contract a program in another language needs:
// the workflow type, the task queue, and the input and result payloads that
// `klingflow schema` describes as JSON Schema. A klingflow worker must be running.
//
//	go run . -prompt "a paper boat on a pond" -model kling-v2.1 -providers hyprlab
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
)

// WorkflowType is the name klingflow's worker registers the generation workflow under.
const WorkflowType = "generateVideo"

// Request is the unified request, with the defaults a klingflow client would apply written
// out: the workflow expects model, mode and duration to be present (see `klingflow schema --input`).
// Images are http(s) URLs here; local files need a klingflow client, which stores them as blobs.
type Request struct {
	Model          string   `json:"model"`
	Mode           string   `json:"mode"`
	Prompt         string   `json:"prompt"`
	Duration       int      `json:"duration"`
	AspectRatio    string   `json:"aspectRatio,omitempty"`
	NegativePrompt string   `json:"negativePrompt,omitempty"`
	CfgScale       *float64 `json:"cfgScale,omitempty"`
	StartImage     string   `json:"startImage,omitempty"`
	EndImage       string   `json:"endImage,omitempty"`
	Sound          bool     `json:"sound,omitempty"`
}

// Input is the workflow's single argument.
type Input struct {
	Request   Request  `json:"request"`
	Providers []string `json:"providers,omitempty"`
	MaxCost   float64  `json:"maxCost,omitempty"`
}

// Video is one stored video: a file path, or an s3:// URI with S3 storage.
type Video struct {
	Path      string `json:"path"`
	Sha256    string `json:"sha256"`
	Bytes     int64  `json:"bytes"`
	SourceURL string `json:"sourceUrl"`
}

// Result is the part of the workflow result (`klingflow schema --result`) this program reads;
// the rest is kept as raw JSON and printed unchanged.
type Result struct {
	WorkflowID string  `json:"workflowId"`
	Status     string  `json:"status"`
	Provider   string  `json:"provider,omitempty"`
	Videos     []Video `json:"videos"`
	Error      string  `json:"error,omitempty"`
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "go-launcher:", err)
		os.Exit(1)
	}
}

func run() error {
	address := flag.String("address", envOr("TEMPORAL_ADDRESS", "localhost:7233"), "Temporal frontend")
	namespace := flag.String("namespace", envOr("TEMPORAL_NAMESPACE", "default"), "Temporal namespace")
	taskQueue := flag.String("task-queue", envOr("KLINGFLOW_TASK_QUEUE", "klingflow"), "klingflow's task queue")
	id := flag.String("id", "", "workflow id (default: go-<time>)")
	prompt := flag.String("prompt", "", "what the video shows (required)")
	model := flag.String("model", "kling-v2.6", "model")
	mode := flag.String("mode", "std", "std or pro")
	duration := flag.Int("duration", 5, "seconds")
	aspectRatio := flag.String("aspect-ratio", "", "16:9, 9:16 or 1:1")
	startImage := flag.String("start-image", "", "first frame: an http(s) URL")
	providers := flag.String("providers", "", "failover order, comma-separated")
	maxCost := flag.Float64("max-cost", 0, "cap on the job's spend in USD (0: none)")
	timeout := flag.Duration("timeout", 30*time.Minute, "how long to wait for the result")
	flag.Parse()
	if strings.TrimSpace(*prompt) == "" {
		return errors.New("-prompt is required")
	}

	input := Input{
		Request: Request{
			Model: *model, Mode: *mode, Prompt: *prompt, Duration: *duration,
			AspectRatio: *aspectRatio, StartImage: *startImage,
		},
		MaxCost: *maxCost,
	}
	if *providers != "" {
		input.Providers = strings.Split(*providers, ",")
	}
	workflowID := *id
	if workflowID == "" {
		workflowID = fmt.Sprintf("go-%d", time.Now().UnixNano())
	}

	// The SDK's default logger writes to stdout, which carries the result JSON here.
	logger := log.NewStructuredLogger(
		slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	c, err := client.Dial(client.Options{HostPort: *address, Namespace: *namespace, Logger: logger})
	if err != nil {
		return fmt.Errorf("connecting to Temporal at %s: %w", *address, err)
	}
	defer c.Close()

	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:        workflowID,
		TaskQueue: *taskQueue,
	}, WorkflowType, input)
	if err != nil {
		return fmt.Errorf("starting %s: %w", WorkflowType, err)
	}
	fmt.Fprintf(os.Stderr, "started %s\n", run.GetID())

	var raw json.RawMessage
	if err := run.Get(ctx, &raw); err != nil {
		// A failed job carries its final status as the failure's details.
		var appErr *temporal.ApplicationError
		if errors.As(err, &appErr) && appErr.HasDetails() && appErr.Details(&raw) == nil {
			fmt.Println(string(raw))
		}
		return fmt.Errorf("%s did not succeed: %w", run.GetID(), err)
	}
	var result Result
	if err := json.Unmarshal(raw, &result); err != nil {
		return fmt.Errorf("reading the result: %w", err)
	}
	fmt.Println(string(raw))
	for _, video := range result.Videos {
		fmt.Fprintf(os.Stderr, "%s: %s (%d bytes, sha256 %s)\n", result.Provider, video.Path, video.Bytes, video.Sha256)
	}
	if result.Status != "succeeded" {
		return fmt.Errorf("%s ended %s: %s", result.WorkflowID, result.Status, result.Error)
	}
	return nil
}

func envOr(name, fallback string) string {
	if value := os.Getenv(name); value != "" {
		return value
	}
	return fallback
}

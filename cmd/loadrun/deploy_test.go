package main

import (
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// These tests keep deploy/ true: the image is built by the command the
// Dockerfile runs, and the Kubernetes manifests' command lines are parsed
// by the master's and the worker's own flag sets. No Docker engine or
// cluster is needed, so they run everywhere.

// dockerVersion is the VERSION build argument the tests give the
// Dockerfile's build command.
const dockerVersion = "0.0.0-dockerfile-test"

// goBuildLine finds the builder stage's `RUN ... go build ... ./cmd/loadrun`.
var goBuildLine = regexp.MustCompile(`(?m)^RUN (CGO_ENABLED=0 go build .*-o )(\S+)( \./cmd/loadrun)\s*$`)

// dockerBuild runs deploy/Dockerfile's go build command (with the binary
// written to a temporary folder instead of /loadrun) from the repository
// root, as the image's builder stage does.
func dockerBuild() (string, error) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		return "", err
	}
	df, err := os.ReadFile(filepath.Join(root, "deploy", "Dockerfile"))
	if err != nil {
		return "", err
	}
	m := goBuildLine.FindSubmatch(df)
	if m == nil {
		return "", errors.New("deploy/Dockerfile: no line `RUN CGO_ENABLED=0 go build ... -o /loadrun ./cmd/loadrun` (the tests build the binary with it)")
	}
	built.dir, err = os.MkdirTemp("", "loadrun-test-bin-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(built.dir, "loadrun")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-c", string(m[1])+bin+string(m[3]))
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "VERSION="+dockerVersion)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("deploy/Dockerfile's build command %q: %v\n%s", m[1], err, out)
	}
	return bin, nil
}

// TestDockerfileBinary checks that the Dockerfile's build makes what an
// empty (FROM scratch) image can run: a static binary with no dynamic
// loader or shared libraries, that knows the version it was given.
func TestDockerfileBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildLoadrun(t)
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the binary asks for a dynamic loader: FROM scratch cannot run it")
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("the binary needs shared libraries %v: FROM scratch has none", libs)
	}
	res := execLoadrun(t, bin, "--version")
	if want := "loadrun " + dockerVersion + "\n"; res.code != 0 || res.stdout != want {
		t.Errorf("--version: exit %d, %q; want %q (the Dockerfile's -X main.version)", res.code, res.stdout, want)
	}
	df, err := os.ReadFile(filepath.Join("..", "..", "deploy", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{
		"FROM scratch",
		"ENTRYPOINT [\"/loadrun\"]",
		"EXPOSE 4222",
		// Workers write the shipped files to a temporary folder.
		"COPY --from=build /tmp /tmp",
		// Go reads the system's CA bundle from here: without it no https
		// target verifies.
		"COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt",
	} {
		if !bytes.Contains(df, []byte(line)) {
			t.Errorf("deploy/Dockerfile has no %q", line)
		}
	}
}

// k8sObject is the part of a Kubernetes object the test reads.
type k8sObject struct {
	Kind     string `yaml:"kind"`
	Metadata struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	Spec struct {
		Replicas *int `yaml:"replicas"`
		Selector yaml.Node
		Ports    []struct {
			Name       string `yaml:"name"`
			Port       int    `yaml:"port"`
			TargetPort string `yaml:"targetPort"`
		} `yaml:"ports"`
		Template struct {
			Metadata struct {
				Labels map[string]string `yaml:"labels"`
			} `yaml:"metadata"`
			Spec struct {
				Containers []struct {
					Name  string   `yaml:"name"`
					Image string   `yaml:"image"`
					Args  []string `yaml:"args"`
					Env   []struct {
						Name string `yaml:"name"`
					} `yaml:"env"`
					Ports []struct {
						Name          string `yaml:"name"`
						ContainerPort int    `yaml:"containerPort"`
					} `yaml:"ports"`
					VolumeMounts []struct {
						MountPath string `yaml:"mountPath"`
					} `yaml:"volumeMounts"`
				} `yaml:"containers"`
			} `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

// TestKubernetesManifest parses deploy/kubernetes/loadrun.yaml's master and
// worker command lines with the commands' own flag sets and checks that the
// pieces fit: the workers reach the master's NATS port through the
// Service, the master expects as many workers as the Deployment runs, a
// master bound beyond loopback has a token and the workers give it, and
// the scenario is read from a mounted volume.
func TestKubernetesManifest(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "deploy", "kubernetes", "loadrun.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	objs := map[string]k8sObject{}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var o k8sObject
		if err := dec.Decode(&o); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		objs[o.Kind] = o
	}
	job, svc, workers := objs["Job"], objs["Service"], objs["Deployment"]
	if len(job.Spec.Template.Spec.Containers) != 1 || len(workers.Spec.Template.Spec.Containers) != 1 || len(svc.Spec.Ports) != 1 {
		t.Fatalf("want a master Job, a worker Deployment (one container each) and a Service with one port; got %+v", objs)
	}
	mc, wc := job.Spec.Template.Spec.Containers[0], workers.Spec.Template.Spec.Containers[0]
	if mc.Image != wc.Image {
		t.Errorf("master image %q, worker image %q: one image runs both", mc.Image, wc.Image)
	}
	// $(VAR) is expanded by Kubernetes from the container's env.
	expand := func(args []string, env []struct {
		Name string `yaml:"name"`
	}) []string {
		out := make([]string, len(args))
		for i, a := range args {
			out[i] = regexp.MustCompile(`\$\((\w+)\)`).ReplaceAllStringFunc(a, func(v string) string {
				name := v[2 : len(v)-1]
				for _, e := range env {
					if e.Name == name {
						return "value-of-" + name
					}
				}
				t.Errorf("%s uses $(%s), which its container's env does not set", a, name)
				return ""
			})
		}
		return out
	}

	margs := expand(mc.Args, mc.Env)
	if len(margs) == 0 || margs[0] != "master" {
		t.Fatalf("master container args %v: want `master FILE ...`", margs)
	}
	var usage bytes.Buffer
	fs, _, mf := masterFlagSet(&usage)
	files, err := parseArgs(fs, margs[1:])
	if err != nil || len(files) != 1 {
		t.Fatalf("loadrun master %v: %v, files %v\n%s", margs[1:], err, files, usage.String())
	}
	mounted := false
	for _, v := range mc.VolumeMounts {
		mounted = mounted || strings.HasPrefix(files[0], strings.TrimSuffix(v.MountPath, "/")+"/")
	}
	if !mounted {
		t.Errorf("the scenario %s is not under a mounted volume", files[0])
	}
	if r := workers.Spec.Replicas; r == nil {
		t.Errorf("the worker Deployment sets no replicas; the master expects %d workers", mf.expect)
	} else if *r != mf.expect {
		t.Errorf("--expect-workers=%d but the worker Deployment's replicas are %d", mf.expect, *r)
	}
	_, bindPort, err := net.SplitHostPort(mf.bind)
	if err != nil {
		t.Fatalf("--bind %q: %v", mf.bind, err)
	}
	if mf.token == "" {
		t.Error("the master binds beyond loopback and must have --token")
	}
	if len(mc.Ports) != 1 || strconv.Itoa(mc.Ports[0].ContainerPort) != bindPort || svc.Spec.Ports[0].TargetPort != mc.Ports[0].Name {
		t.Errorf("master --bind port %s, container ports %+v, Service targetPort %q: the Service must reach the NATS port", bindPort, mc.Ports, svc.Spec.Ports[0].TargetPort)
	}
	var sel map[string]string
	if err := svc.Spec.Selector.Decode(&sel); err != nil || len(sel) == 0 {
		t.Fatalf("Service selector: %v", err)
	}
	for k, v := range sel {
		if job.Spec.Template.Metadata.Labels[k] != v {
			t.Errorf("the Service selects %s=%s, which the master pod does not carry", k, v)
		}
	}

	wargs := expand(wc.Args, wc.Env)
	if len(wargs) == 0 || wargs[0] != "worker" {
		t.Fatalf("worker container args %v: want `worker ...`", wargs)
	}
	usage.Reset()
	wfs, wf := workerFlagSet(&usage)
	rest, err := parseArgs(wfs, wargs[1:])
	if err != nil || len(rest) != 0 {
		t.Fatalf("loadrun worker %v: %v, extra %v\n%s", wargs[1:], err, rest, usage.String())
	}
	if want := net.JoinHostPort(svc.Metadata.Name, strconv.Itoa(svc.Spec.Ports[0].Port)); wf.master != want {
		t.Errorf("workers join --master=%s; the master's Service is %s", wf.master, want)
	}
	if wf.token != mf.token {
		t.Errorf("worker --token %q, master --token %q: they must be the same secret", wf.token, mf.token)
	}
}

// TestScratchImage runs a worker as the image does: the binary alone in an
// otherwise empty root (the Dockerfile's final stage: /loadrun, /tmp and
// the CA bundle), as user 65534, joined to a master outside. It gets the
// scenario shipped into its /tmp and runs its share of the test. Needs
// root for chroot (CI runs as root).
func TestScratchImage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs several processes")
	}
	if os.Geteuid() != 0 {
		t.Skip("chroot needs root")
	}
	chroot, err := exec.LookPath("chroot")
	if err != nil {
		t.Skip("no chroot command")
	}
	bin := buildLoadrun(t)
	root := t.TempDir()
	if err := os.Chmod(root, 0o755); err != nil {
		t.Fatal(err)
	}
	copyFile := func(from, to string, mode os.FileMode) {
		data, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(to, data, mode); err != nil {
			t.Fatal(err)
		}
	}
	copyFile(bin, filepath.Join(root, "loadrun"), 0o755)
	if err := os.Mkdir(filepath.Join(root, "tmp"), 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(root, "tmp"), 0o1777); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat("/etc/ssl/certs/ca-certificates.crt"); err == nil {
		copyFile("/etc/ssl/certs/ca-certificates.crt", filepath.Join(root, "etc", "ssl", "certs", "ca-certificates.crt"), 0o644)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "image.yaml")
	copyFile(writeScenario(t, "image.yaml", `
name: image
users:
  - name: U
    wait: {constant: 0s}
    tasks: [{steps: [{use: row}, {request: {url: "/?user=${row.user}"}}]}]
data:
  row: {file: accounts.csv, mode: cycle}
`), file, 0o644)
	if err := os.WriteFile(filepath.Join(dir, "accounts.csv"), []byte("user\nann\nbob\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "summary.json")
	master := startProc(t, bin, "master", "master", file, "--demo", "--expect-workers", "1", "--bind", "127.0.0.1:0", "-u", "2", "-n", "30", "-q", "--json", out)
	addr := master.await(t, listening, 20*time.Second)
	worker := startProc(t, chroot, "worker in a scratch root", "--userspec=65534:65534", root, "/loadrun", "worker", "--master", addr, "--name", "scratch")
	select {
	case <-master.done:
	case <-worker.done:
		if worker.code != exitOK {
			t.Fatalf("the worker in a scratch root failed: exit %d\n%s", worker.code, worker.stderr.String())
		}
	}
	if code := master.wait(t, distLimit); code != exitOK {
		t.Fatalf("master: exit %d\n%s\nworker:\n%s", code, master.stderr.String(), worker.stderr.String())
	}
	if code := worker.wait(t, 20*time.Second); code != exitOK {
		t.Fatalf("worker: exit %d\n%s", code, worker.stderr.String())
	}
	s := readJSONFile[summary](t, out)
	if s.Aggregated.Requests != 30 || s.Aggregated.Failures != 0 {
		t.Errorf("the worker in the scratch root made %d requests, %d failed; want 30, 0", s.Aggregated.Requests, s.Aggregated.Failures)
	}
}

// vcsim for the vCenter driver's tests: VMware's own vSphere simulator (govmomi's simulator
// package, from Debian's golang-github-vmware-govmomi-dev), which Debian ships as a library
// only. This main serves a vCenter-shaped inventory (simulator.VPX) over TLS on loopback and
// writes its port to a file once it answers; Scripts/vcsim-sandbox.sh builds and runs it.
//
// Built offline, without modules: GO111MODULE=off GOPATH=…:/usr/share/gocode GOPROXY=off go build
package main

import (
	"crypto/tls"
	"flag"
	"fmt"
	"log"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/vmware/govmomi/simulator"

	// Their init() registers the /rest (vAPI) and lookup service endpoints, which
	// RegisterEndpoints then mounts.
	_ "github.com/vmware/govmomi/lookup/simulator"
	_ "github.com/vmware/govmomi/vapi/simulator"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on (port 0: any free port)")
	portFile := flag.String("port-file", "", "file to write the chosen port to, once serving")
	certFile := flag.String("cert", "", "TLS certificate (PEM)")
	keyFile := flag.String("key", "", "TLS private key (PEM)")
	user := flag.String("user", "", "the only user name Login accepts (with -password)")
	password := flag.String("password", "", "the only password Login accepts")
	machines := flag.Int("vm", 2, "virtual machines per host and per cluster resource pool")
	hosts := flag.Int("cluster-host", 3, "hosts in each cluster")
	idle := flag.Duration("session-idle", 0, "expire sessions idle this long (0: never), for re-login tests")
	flag.Parse()

	if *certFile == "" || *keyFile == "" || *user == "" || *password == "" {
		log.Fatal("vcsim: -cert, -key, -user and -password are required (Scripts/vcsim-sandbox.sh passes them)")
	}
	certificate, err := tls.LoadX509KeyPair(*certFile, *keyFile)
	if err != nil {
		log.Fatalf("vcsim: cannot load the TLS key pair %s, %s: %v", *certFile, *keyFile, err)
	}

	simulator.SessionIdleTimeout = *idle

	model := simulator.VPX()
	model.Machine = *machines
	model.ClusterHost = *hosts
	if err := model.Create(); err != nil {
		log.Fatalf("vcsim: cannot create the inventory: %v", err)
	}
	// Create made temporary directories for the datastores: remove them on the way out.
	defer model.Remove()

	model.Service.Listen = &url.URL{Host: *listen, User: url.UserPassword(*user, *password)}
	model.Service.TLS = &tls.Config{Certificates: []tls.Certificate{certificate}}
	// Without it every /rest path answers 404.
	model.Service.RegisterEndpoints = true
	server := model.Service.NewServer()
	defer server.Close()

	port := server.URL.Port()
	if *portFile != "" {
		// Written whole then renamed: a reader never sees half a port.
		tmp := *portFile + ".tmp"
		if err := os.WriteFile(tmp, []byte(port+"\n"), 0o644); err != nil {
			log.Fatalf("vcsim: cannot write %s: %v", tmp, err)
		}
		if err := os.Rename(tmp, *portFile); err != nil {
			log.Fatalf("vcsim: cannot rename %s: %v", tmp, err)
		}
	}
	count := model.Count()
	fmt.Fprintf(os.Stderr, "vcsim: serving https://127.0.0.1:%s/sdk (%d hosts, %d VMs), idle sessions expire after %s\n",
		port, count.Host, count.Machine, idleText(*idle))

	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	<-signals
}

func idleText(d time.Duration) string {
	if d == 0 {
		return "never"
	}
	return strconv.Quote(d.String())
}

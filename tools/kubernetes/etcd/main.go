// Command etcd is etcd's own server entry point under the name etcd: `go install` names a
// binary after its package path, and upstream's main package is go.etcd.io/etcd/server/v3
// ("server"). This is what that package's main.go does (ADR 0400).
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}

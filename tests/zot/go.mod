module github.com/zot-registry/zot-registry/tests/zot

go 1.26.6

require (
	github.com/google/go-containerregistry v0.22.1
	github.com/zot-registry/zot-registry v0.0.0
	github.com/zot-registry/zot-registry/tests/tier v0.0.0
	golang.org/x/crypto v0.58.0
)

require (
	github.com/docker/cli v29.7.2+incompatible // indirect
	github.com/docker/docker-credential-helpers v0.9.3 // indirect
	github.com/klauspost/compress v1.19.2 // indirect
	github.com/opencontainers/go-digest v1.0.0 // indirect
	github.com/opencontainers/image-spec v1.1.1 // indirect
	github.com/sirupsen/logrus v1.9.4 // indirect
	golang.org/x/mod v0.42.0 // indirect
	golang.org/x/sync v0.24.0 // indirect
	golang.org/x/sys v0.49.0 // indirect
)

replace github.com/zot-registry/zot-registry => ../..

replace github.com/zot-registry/zot-registry/tests/tier => ../tier

# syntax=docker/dockerfile:1

# Build a static binary (modernc.org/sqlite is pure Go, so no cgo).
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X github.com/mergeguard/mergeguard/internal/version.Version=${VERSION}" \
      -o /out/mergeguard ./cmd/mergeguard \
 && mkdir -p /out/data

# Distroless static: CA certificates and time zone data, no shell, non-root.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/mergeguard /usr/local/bin/mergeguard
COPY --from=build --chown=65532:65532 /out/data /data
WORKDIR /data
# GOMEMLIMIT is the server process's soft limit: the garbage collector works
# harder near it instead of letting the heap double. Policies run in worker
# processes with their own limit (MERGEGUARD_POLICY_MEMORY); size the
# container for both (1 GiB with the defaults), see docs/operations.md.
ENV MERGEGUARD_ADDR=:8080 \
    MERGEGUARD_DATABASE_URL=sqlite:/data/mergeguard.db \
    GOMEMLIMIT=192MiB
USER 65532:65532
EXPOSE 8080
VOLUME ["/data"]
ENTRYPOINT ["/usr/local/bin/mergeguard"]
CMD ["serve"]

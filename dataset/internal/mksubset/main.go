// Command mksubset writes the small real data subsets in the repository's
// testdata/ folder from the full official files. It is a one-off tool, kept
// so that the subsets can be checked and remade; the library does not use it.
//
// From the repository root:
//
//	go run ./dataset/internal/mksubset -src ../shared/data -dst testdata
//
// It writes testdata/mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz
// with the first 2000 training and the first 500 test images and labels of
// MNIST (valid IDX files, gzip-compressed with no name and a zero time stamp,
// so the output is reproducible), and
// testdata/binarized_mnist/binarized_mnist_{train,valid,test}.amat with the
// first 1000, 200 and 200 lines of the fixed-binarised MNIST files.
package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"

	"github.com/vitool/vitool/internal/atomicfile"
)

func main() {
	src := flag.String("src", filepath.Join("..", "shared", "data"), "folder with mnist/ and binarized_mnist/")
	dst := flag.String("dst", "testdata", "output folder")
	flag.Parse()

	for _, s := range []struct {
		prefix string
		n      int
	}{{"train", 2000}, {"t10k", 500}} {
		for _, kind := range []struct {
			name   string
			header int // header bytes
			item   int // bytes per item
		}{{"images-idx3-ubyte.gz", 16, 28 * 28}, {"labels-idx1-ubyte.gz", 8, 1}} {
			name := s.prefix + "-" + kind.name
			if err := idxHead(filepath.Join(*src, "mnist", name), filepath.Join(*dst, "mnist", name), s.n, kind.header, kind.item); err != nil {
				log.Fatal(err)
			}
		}
	}
	for _, s := range []struct {
		split string
		n     int
	}{{"train", 1000}, {"valid", 200}, {"test", 200}} {
		name := "binarized_mnist_" + s.split + ".amat"
		if err := lineHead(filepath.Join(*src, "binarized_mnist", name), filepath.Join(*dst, "binarized_mnist", name), s.n); err != nil {
			log.Fatal(err)
		}
	}
}

// idxHead writes the first n items of the gzipped IDX file src to dst, with
// the item count in the header changed to n.
func idxHead(src, dst string, n, header, item int) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("%s: %w", src, err)
	}
	buf := make([]byte, header+n*item)
	if _, err := io.ReadFull(zr, buf); err != nil {
		return fmt.Errorf("%s: %w", src, err)
	}
	if have := binary.BigEndian.Uint32(buf[4:]); int(have) < n {
		return fmt.Errorf("%s: only %d items", src, have)
	}
	binary.BigEndian.PutUint32(buf[4:], uint32(n))
	var out bytes.Buffer
	zw, err := gzip.NewWriterLevel(&out, gzip.BestCompression)
	if err != nil {
		return err
	}
	if _, err := zw.Write(buf); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return write(dst, out.Bytes())
}

// lineHead writes the first n lines of src to dst.
func lineHead(src, dst string, n int) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	br := bufio.NewReader(f)
	var out bytes.Buffer
	for i := range n {
		line, err := br.ReadBytes('\n')
		if err != nil {
			return fmt.Errorf("%s: line %d: %w", src, i+1, err)
		}
		out.Write(line)
	}
	return write(dst, out.Bytes())
}

func write(dst string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	fmt.Printf("%s: %d bytes\n", dst, len(b))
	return atomicfile.WriteBytes(dst, b, 0o644)
}

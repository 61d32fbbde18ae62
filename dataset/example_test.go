package dataset_test

import (
	"fmt"
	"log"
	"math/rand/v2"
	"strings"

	"github.com/vitool/vitool/dataset"
)

func ExampleEmbedded() {
	s, err := dataset.Embedded("mnist")
	if err != nil {
		log.Fatal(err)
	}
	train := s.Train
	fmt.Printf("%s: %d images of %d×%d, first labels %v\n", train.Name, train.N, train.Rows, train.Cols, train.Labels[:5])
	fmt.Printf("%s: %d images\n", s.Test.Name, s.Test.N)

	// Fixed binarisation: draw once from a seed, then use the copy.
	fixed := train.Binarize(rand.New(rand.NewPCG(1, 0)))
	batch := fixed.Batch(nil, []int{0, 1, 2, 3}, dataset.Fixed, nil)
	fmt.Println(len(batch), fixed.Binary)
	// Output:
	// mnist/train: 2000 images of 28×28, first labels [5 0 4 1 9]
	// mnist/test: 500 images
	// 3136 true
}

func ExampleDecodeCSV() {
	in := "x,y\n1,2\n3,4.5\n"
	ds, err := dataset.DecodeCSV(strings.NewReader(in), "points.csv")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ds.N, ds.D, ds.Float64Row(nil, 1))

	_, err = dataset.DecodeCSV(strings.NewReader("1,2\n3\n"), "bad.csv")
	fmt.Println(err)
	// Output:
	// 2 2 [3 4.5]
	// bad.csv: line 2: 1 columns, want 2 (as in the row on line 1)
}

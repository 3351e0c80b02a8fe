package main
import (
 _ "github.com/apache/arrow-go/v18/parquet/pqarrow"
 _ "github.com/apache/arrow-go/v18/arrow"
 _ "gonum.org/v1/gonum/mat"
 _ "gopkg.in/yaml.v3"
 _ "github.com/schollz/progressbar/v3"
 _ "gonum.org/v1/plot"
 _ "github.com/klauspost/compress/zstd"
 _ "golang.org/x/term"
)
func main(){}

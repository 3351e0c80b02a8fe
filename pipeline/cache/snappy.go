package cache

import (
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/klauspost/compress/s2"
)

// fastSnappy is arrow-go's Snappy codec with klauspost's fast Snappy
// encoder in place of the "better" one arrow-go's codec calls
// (s2.EncodeSnappyBetter): the cache is written on a cold run's critical
// path, where compression speed matters more than the last percent of size.
// The blocks are ordinary Snappy, read by any Parquet reader; decoding is
// arrow-go's own. Registering it replaces the codec for the whole process
// (arrow-go's documented extension point).
type fastSnappy struct{ compress.Codec }

func (fastSnappy) Encode(dst, src []byte) []byte { return s2.EncodeSnappy(dst, src) }

func (fastSnappy) EncodeLevel(dst, src []byte, _ int) []byte { return s2.EncodeSnappy(dst, src) }

func init() {
	if c, err := compress.GetCodec(compress.Codecs.Snappy); err == nil {
		compress.RegisterCodec(compress.Codecs.Snappy, fastSnappy{c})
	}
}

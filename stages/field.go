package stages

import (
	"errors"
	"fmt"
)

// FieldError is a Params.Validate error about one field. Path is the
// field's key relative to the stage's spec section, as written in a spec
// ("features[1].cuts").
type FieldError struct {
	Stage string
	Path  string
	Msg   string
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("stage %s: %s: %s", e.Stage, e.Path, e.Msg)
}

// Fieldf returns a FieldError.
func Fieldf(stage, path, format string, args ...any) error {
	return &FieldError{Stage: stage, Path: path, Msg: fmt.Sprintf(format, args...)}
}

// Fields splits err (possibly an errors.Join) into its errors.
func Fields(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, Fields(e)...)
		}
		return out
	}
	var fe *FieldError
	if errors.As(err, &fe) {
		return []error{fe}
	}
	return []error{err}
}

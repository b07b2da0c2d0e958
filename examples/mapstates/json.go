package main

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"unsafe"
)

// kv is one member of an ordered JSON object.
type kv struct {
	K string
	V any
}

// obj is a JSON object that keeps its members in the order they were added.
type obj []kv

func (o obj) MarshalJSON() ([]byte, error) { return appendJSON(nil, o) }

// appendJSON writes the value types the truth is built from directly, so
// nested objects are not re-encoded and re-compacted once per level;
// anything else goes through encoding/json.
func appendJSON(b []byte, v any) ([]byte, error) {
	var err error
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case json.RawMessage:
		return append(b, x...), nil
	case bool:
		return strconv.AppendBool(b, x), nil
	case obj:
		b = append(b, '{')
		for i, m := range x {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = appendJSON(b, m.K); err != nil {
				return nil, err
			}
			b = append(b, ':')
			if b, err = appendJSON(b, m.V); err != nil {
				return nil, fmt.Errorf("member %q: %w", m.K, err)
			}
		}
		return append(b, '}'), nil
	case []any:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = appendJSON(b, e); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	}
	enc, err := json.Marshal(v) // strings, float64
	if err != nil {
		return nil, err
	}
	return append(b, enc...), nil
}

// jint and juint give exact JSON integers (never routed through float64).
func jint(i int64) json.RawMessage   { return json.RawMessage(strconv.FormatInt(i, 10)) }
func juint(u uint64) json.RawMessage { return json.RawMessage(strconv.FormatUint(u, 10)) }

// jfloat gives a JSON number, or "NaN" / "+Inf" / "-Inf".
func jfloat(f float64) any {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "+Inf"
	case math.IsInf(f, -1):
		return "-Inf"
	}
	return f
}

// hexp formats an address the way the truth file wants it.
func hexp(p uintptr) string { return "0x" + strconv.FormatUint(uint64(p), 16) }

// region is one piece of memory a map occupies, for the truth's "regions".
func region(what string, p unsafe.Pointer, size uintptr) obj {
	return obj{{"what", what}, {"address", hexp(uintptr(p))}, {"size", juint(uint64(size))}}
}

// hexnull is hexp, or JSON null for 0.
func hexnull(p uintptr) any {
	if p == 0 {
		return nil
	}
	return hexp(p)
}

// encode turns any Go value into the JSON shape a decoder emits for it.
func encode(v reflect.Value) any {
	switch v.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return jint(v.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return juint(v.Uint())
	case reflect.Float32, reflect.Float64:
		return jfloat(v.Float()) // float32 -> float64 is exact
	case reflect.Complex64, reflect.Complex128:
		c := v.Complex()
		return obj{{"real", jfloat(real(c))}, {"imag", jfloat(imag(c))}}
	case reflect.Bool:
		return v.Bool()
	case reflect.String:
		return v.String()
	case reflect.Pointer, reflect.UnsafePointer, reflect.Chan:
		if v.IsNil() {
			return nil
		}
		return hexp(v.Pointer())
	case reflect.Func:
		if v.IsNil() {
			return nil
		}
		return hexp(funcWord(v))
	case reflect.Struct:
		t := v.Type()
		o := make(obj, 0, t.NumField())
		for i := 0; i < t.NumField(); i++ {
			// reflect names an embedded field after its type.
			o = append(o, kv{t.Field(i).Name, encode(v.Field(i))})
		}
		return o
	case reflect.Array:
		l := make([]any, v.Len())
		for i := range l {
			l[i] = encode(v.Index(i))
		}
		return l
	case reflect.Slice:
		if v.IsNil() {
			return nil
		}
		l := make([]any, v.Len())
		for i := range l {
			l[i] = encode(v.Index(i))
		}
		return l
	case reflect.Map:
		if v.IsNil() {
			return nil
		}
		return obj{{"address", hexp(v.Pointer())}, {"type", v.Type().String()}, {"count", jint(int64(v.Len()))}}
	case reflect.Interface:
		if v.IsNil() {
			return nil
		}
		e := v.Elem()
		return obj{{"type", e.Type().String()}, {"value", encode(e)}}
	}
	return fmt.Sprintf("<unsupported kind %s>", v.Kind())
}

// funcWord is the word a func value holds in memory (its closure pointer).
// reflect.Value.Pointer returns the code pointer instead, which is not what
// a memory reader sees.
func funcWord(v reflect.Value) uintptr {
	if v.CanAddr() {
		return *(*uintptr)(unsafe.Pointer(v.UnsafeAddr()))
	}
	if v.CanInterface() {
		c := reflect.New(v.Type()).Elem()
		c.Set(v)
		return *(*uintptr)(unsafe.Pointer(c.UnsafeAddr()))
	}
	return v.Pointer() // unexported field: best effort
}

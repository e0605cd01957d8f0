package template

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"time"
)

// AppendValue appends v as a template renders it: strings as they are,
// integers without decimals, floats in their shortest form without an
// exponent for ordinary magnitudes, bools as true/false, lists joined with
// ",", nil as nothing, times as RFC 3339 and maps as JSON. It is exported so
// that the engine and checks turn values into text exactly as templates do.
func AppendValue(dst []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return dst, nil
	case string:
		return append(dst, x...), nil
	case Raw:
		return append(dst, x...), nil
	case []byte:
		return append(dst, x...), nil
	case int:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(dst, x, 10), nil
	case int32:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case int16:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case int8:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case uint:
		return strconv.AppendUint(dst, uint64(x), 10), nil
	case uint64:
		return strconv.AppendUint(dst, x, 10), nil
	case uint32:
		return strconv.AppendUint(dst, uint64(x), 10), nil
	case uint16:
		return strconv.AppendUint(dst, uint64(x), 10), nil
	case uint8:
		return strconv.AppendUint(dst, uint64(x), 10), nil
	case float64:
		return appendFloat(dst, x, 64), nil
	case float32:
		return appendFloat(dst, float64(x), 32), nil
	case bool:
		return strconv.AppendBool(dst, x), nil
	case []string:
		for i, s := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, s...)
		}
		return dst, nil
	case []any:
		var err error
		for i, e := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			if dst, err = AppendValue(dst, e); err != nil {
				return dst, err
			}
		}
		return dst, nil
	case time.Time:
		return x.AppendFormat(dst, time.RFC3339Nano), nil
	case time.Duration:
		return append(dst, x.String()...), nil
	case map[string]string, map[string]any:
		return appendJSON(dst, x)
	case fmt.Stringer:
		return append(dst, x.String()...), nil
	case error:
		return append(dst, x.Error()...), nil
	}
	return appendReflect(dst, v)
}

// appendFloat writes the shortest text that reads back as f. Like
// JavaScript, it switches to an exponent only for magnitudes where plain
// digits would be unreadable, so 0.1+0.2 is 0.30000000000000004 and 1e6 is
// 1000000, which is what an API expects in a query string.
func appendFloat(dst []byte, f float64, bits int) []byte {
	abs := math.Abs(f)
	if abs == 0 || (abs >= 1e-6 && abs < 1e21) {
		return strconv.AppendFloat(dst, f, 'f', -1, bits)
	}
	return strconv.AppendFloat(dst, f, 'g', -1, bits)
}

// appendReflect handles the kinds a type switch cannot list: typed lists
// ([]int, []float64, ...), other maps and named basic types.
func appendReflect(dst []byte, v any) ([]byte, error) {
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		var err error
		for i := range rv.Len() {
			if i > 0 {
				dst = append(dst, ',')
			}
			if dst, err = AppendValue(dst, rv.Index(i).Interface()); err != nil {
				return dst, err
			}
		}
		return dst, nil
	case reflect.Map, reflect.Struct:
		return appendJSON(dst, v)
	case reflect.Pointer:
		if rv.IsNil() {
			return dst, nil
		}
		return AppendValue(dst, rv.Elem().Interface())
	case reflect.String:
		return append(dst, rv.String()...), nil
	case reflect.Bool:
		return strconv.AppendBool(dst, rv.Bool()), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.AppendInt(dst, rv.Int(), 10), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return strconv.AppendUint(dst, rv.Uint(), 10), nil
	case reflect.Float32, reflect.Float64:
		return appendFloat(dst, rv.Float(), rv.Type().Bits()), nil
	}
	return dst, fmt.Errorf("a value of type %T cannot be written as text", v)
}

func appendJSON(dst []byte, v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return dst, fmt.Errorf("writing %T as JSON: %w", v, err)
	}
	return append(dst, b...), nil
}

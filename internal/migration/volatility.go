package migration

//go:generate go run ./internal/genvolatility -o volatility_gen.go

// builtinVolatility is builtinFunctions (generated from PostgreSQL's
// pg_proc) plus the functions of later releases listed in
// laterFunctions, by name. A name with several overloads gets the
// strictest of their volatilities.
var builtinVolatility = func() map[string]byte {
	m := make(map[string]byte, len(builtinFunctions)+len(laterFunctions))
	for name, v := range builtinFunctions {
		m[name] = v
	}
	for name, v := range laterFunctions {
		if old, ok := m[name]; !ok || stricter(old, v) != old {
			m[name] = v
		}
	}
	return m
}()

// laterFunctions are functions added to pg_catalog by PostgreSQL 16 and 17,
// which the generated list (made from a PostgreSQL 15 catalog, the newest
// available where it was generated) lacks. Their volatility is the one
// their release documents. Regenerating against a PostgreSQL 17 server
// makes this list redundant but harmless.
var laterFunctions = map[string]byte{
	// PostgreSQL 16
	"random_normal":       'v',
	"array_sample":        'v',
	"array_shuffle":       'v',
	"pg_input_is_valid":   's',
	"pg_input_error_info": 's',
	"date_add":            's',
	"date_subtract":       's',
	"erf":                 'i',
	"erfc":                'i',
	"any_value":           'i',
	"system_user":         's',
	// PostgreSQL 17
	"uuid_extract_timestamp": 'i',
	"uuid_extract_version":   'i',
	"to_bin":                 'i',
	"to_oct":                 'i',
	"pg_basetype":            's',
}

/* The loader's fast path (crvs.feeds.fastpath): checks contract rows in C, pseudonymises their
 * identifiers and writes them in COPY's binary format for raw.<dataset>, in one pass over the bytes.
 *
 * It never decides that a row is bad: a row it cannot prove good under every rule of the contract
 * (crvs.feeds.contract, the same rules crvs.feeds.validation writes as SQL) is handed back to
 * Python, which sends it the general way, where SQL finds its rule and message. So this file may
 * be stricter than the contract (a leading zero in an integer, spaces around an identifier all
 * take the general way), never looser.
 *
 * The contract's value formats (crvs.feeds.contract.Formats) come in the description: the citizen
 * number's digits, the years of a date, a registration number's longest length and inner
 * characters. The ICD-10 shape is written here (icd10_code); crvs.feeds.fastpath.outgrown sends a
 * file the general way when the contract declares another (ENGINE_ICD10).
 *
 * HMAC-SHA256 as RFC 2104: OpenSSL's SHA-256 contexts of the key's inner and outer blocks are
 * computed once; each identifier then costs two copies of a small struct and two compressions.
 * The key's pads live only in this object's memory.
 */
#define PY_SSIZE_T_CLEAN
#define OPENSSL_SUPPRESS_DEPRECATED
#include <Python.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stdint.h>
#include <string.h>

enum {
    K_SKIP = 0, K_TEXT, K_INT, K_DATE, K_BOOL, K_NUMERIC, K_ENUM, K_PID, K_ICD10, K_PROVINCE, K_COMMUNE,
    K_REGNO
};
enum { R_LT = 1, R_LE, R_GE, R_EMPTY_WHEN };

#define MAX_COLUMNS 64
#define MAX_VALUES 32
#define N_VERSIONS 2
#define MAX_INNER 16 /* characters a registration number may hold inside besides letters and digits */

typedef struct { int op, a, b; const char *value; Py_ssize_t value_len; } Rule;

typedef struct {
    PyObject_HEAD
    int width;
    unsigned char kind[MAX_COLUMNS], required[MAX_COLUMNS];
    long long minimum[MAX_COLUMNS], maximum[MAX_COLUMNS];
    int n_values[MAX_COLUMNS];
    const char *values[MAX_COLUMNS][MAX_VALUES];
    Py_ssize_t value_len[MAX_COLUMNS][MAX_VALUES];
    int out[MAX_COLUMNS], n_out;
    int pid[MAX_COLUMNS], n_pid;
    int key[MAX_COLUMNS], n_key;
    int version_column, commune_parent_column;
    const char *versions[N_VERSIONS];
    Py_ssize_t version_len[N_VERSIONS];
    unsigned char provinces[N_VERSIONS][100];
    unsigned char *communes; /* [N_VERSIONS][100000]: parent province + 1, 0 when not listed */
    Rule rules[16];
    int n_rules;
    SHA256_CTX inner, outer;
    char *prefix; /* the delivery_id, any length (the loader bounds it) */
    Py_ssize_t prefix_len;
    char extracted_on[10];
    int citizen_digits, first_year, last_year; /* crvs.feeds.contract.Formats */
    Py_ssize_t regno_max, regno_inner_len;
    char regno_inner[MAX_INNER];
    PyObject *keep; /* the Python objects whose bytes the pointers above borrow */
    uint64_t *seen; /* open-addressing set of key hashes (0 = empty) */
    size_t seen_cap, seen_n;
    int suspected_duplicate;
} Engine;

/* ---------------------------------------------------------------- small checks */

static int utf8_valid(const unsigned char *s, Py_ssize_t n)
{
    /* As strict as Python's decoder: no overlongs, no surrogates, nothing above U+10FFFF. */
    Py_ssize_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        if (c < 0x80) { i++; continue; }
        if (c >= 0xC2 && c <= 0xDF) {
            if (i + 1 >= n || (s[i + 1] & 0xC0) != 0x80) return 0;
            i += 2;
        } else if (c >= 0xE0 && c <= 0xEF) {
            if (i + 2 >= n || (s[i + 1] & 0xC0) != 0x80 || (s[i + 2] & 0xC0) != 0x80) return 0;
            if (c == 0xE0 && s[i + 1] < 0xA0) return 0;
            if (c == 0xED && s[i + 1] > 0x9F) return 0;
            i += 3;
        } else if (c >= 0xF0 && c <= 0xF4) {
            if (i + 3 >= n || (s[i + 1] & 0xC0) != 0x80 || (s[i + 2] & 0xC0) != 0x80
                || (s[i + 3] & 0xC0) != 0x80) return 0;
            if (c == 0xF0 && s[i + 1] < 0x90) return 0;
            if (c == 0xF4 && s[i + 1] > 0x8F) return 0;
            i += 4;
        } else {
            return 0;
        }
    }
    return 1;
}

static int all_digits(const char *s, Py_ssize_t n)
{
    for (Py_ssize_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return 0;
    return 1;
}

static int number(const char *s, Py_ssize_t n)
{
    int v = 0;
    for (Py_ssize_t i = 0; i < n; i++) v = v * 10 + (s[i] - '0');
    return v;
}

static int calendar_date(const Engine *e, const char *s, Py_ssize_t n)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (n != 10 || s[4] != '-' || s[7] != '-') return 0;
    if (!all_digits(s, 4) || !all_digits(s + 5, 2) || !all_digits(s + 8, 2)) return 0;
    int y = number(s, 4), m = number(s + 5, 2), d = number(s + 8, 2);
    if (y < e->first_year || y > e->last_year || m < 1 || m > 12 || d < 1) return 0;
    int last = days[m - 1] + (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0));
    return d <= last;
}

/* Days from 2000-01-01 (PostgreSQL's epoch) to a checked YYYY-MM-DD (H. Hinnant's days_from_civil). */
static int postgres_day(const char *s)
{
    int y = number(s, 4), m = number(s + 5, 2), d = number(s + 8, 2);
    y -= m <= 2;
    int era = (y >= 0 ? y : y - 399) / 400;
    int yoe = y - era * 400;
    int doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468 - 10957;
}

static int canonical_int(const char *s, Py_ssize_t n, long long *value)
{
    /* "0" or 1-9 digits without a leading zero: then equal text means equal integers. */
    if (n < 1 || n > 9 || !all_digits(s, n) || (n > 1 && s[0] == '0')) return 0;
    long long v = 0;
    for (Py_ssize_t i = 0; i < n; i++) v = v * 10 + (s[i] - '0');
    *value = v;
    return 1;
}

static int numeric_text(const char *s, Py_ssize_t n)
{
    /* ^[+-]?(\d+(\.\d*)?|\.\d+)$ */
    Py_ssize_t i = 0, before = 0, after = 0;
    if (i < n && (s[i] == '+' || s[i] == '-')) i++;
    while (i < n && s[i] >= '0' && s[i] <= '9') { i++; before++; }
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && s[i] >= '0' && s[i] <= '9') { i++; after++; }
    }
    return i == n && (before > 0 || after > 0);
}

static int icd10_code(const char *s, Py_ssize_t n)
{
    if (n != 3 && n != 5) return 0;
    if (s[0] < 'A' || s[0] > 'Z' || !all_digits(s + 1, 2)) return 0;
    return n == 3 || (s[3] == '.' && s[4] >= '0' && s[4] <= '9');
}

static int registration_number(const Engine *e, const char *s, Py_ssize_t n)
{
    /* crvs.feeds.contract.Formats.registration_number: [A-Za-z0-9], then letters, digits or the
     * inner characters, ending in a letter or digit; at most regno_max; a digit somewhere; not a
     * citizen number's digits alone. */
    if (n < 1 || n > e->regno_max) return 0;
    Py_ssize_t digits = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= '0' && c <= '9') digits++;
        else if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) continue;
        else if (i > 0 && i < n - 1 && memchr(e->regno_inner, c, e->regno_inner_len)) continue;
        else return 0;
    }
    return digits > 0 && !(n == e->citizen_digits && digits == n);
}

static uint64_t fnv1a(uint64_t h, const char *s, Py_ssize_t n)
{
    for (Py_ssize_t i = 0; i < n; i++) { h ^= (unsigned char)s[i]; h *= 1099511628211ULL; }
    return h;
}

/* Remember a key's hash; 1 when it was seen before (a duplicate, or a collision: both mean the
 * exact check in SQL must run). Past MAX_TRACKED keys (256 MiB of table) it stops remembering and
 * answers 1: memory stays bounded whatever the file size, and SQL checks the whole file. */
#define MAX_TRACKED (1u << 24)

static int seen_before(Engine *e, uint64_t h)
{
    if (e->seen_n >= MAX_TRACKED) return 1;
    if (h == 0) h = 1;
    if ((e->seen_n + 1) * 2 > e->seen_cap) {
        size_t cap = e->seen_cap ? e->seen_cap * 2 : 1 << 16;
        uint64_t *table = PyMem_RawCalloc(cap, sizeof(uint64_t));
        if (!table) return -1;
        for (size_t i = 0; i < e->seen_cap; i++) {
            uint64_t v = e->seen[i];
            if (!v) continue;
            size_t j = v & (cap - 1);
            while (table[j]) j = (j + 1) & (cap - 1);
            table[j] = v;
        }
        PyMem_RawFree(e->seen);
        e->seen = table;
        e->seen_cap = cap;
    }
    size_t j = h & (e->seen_cap - 1);
    while (e->seen[j]) {
        if (e->seen[j] == h) return 1;
        j = (j + 1) & (e->seen_cap - 1);
    }
    e->seen[j] = h;
    e->seen_n++;
    return 0;
}

/* ---------------------------------------------------------------- output buffer */

typedef struct { char *data; size_t len, cap; } Buffer;

static int reserve(Buffer *b, size_t more)
{
    if (b->len + more <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 1 << 16;
    while (cap < b->len + more) cap *= 2;
    char *data = PyMem_RawRealloc(b->data, cap);
    if (!data) return -1;
    b->data = data;
    b->cap = cap;
    return 0;
}

static void put(Buffer *b, const char *s, size_t n) { memcpy(b->data + b->len, s, n); b->len += n; }

static void put_u32(Buffer *b, uint32_t v)
{
    unsigned char *p = (unsigned char *)b->data + b->len;
    p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v;
    b->len += 4;
}

static void put_u16(Buffer *b, uint16_t v)
{
    unsigned char *p = (unsigned char *)b->data + b->len;
    p[0] = v >> 8; p[1] = v;
    b->len += 2;
}

/* ---------------------------------------------------------------- one row */

typedef struct { const char *p; Py_ssize_t n; } Field;

/* 1 when every rule of the contract holds for the row (fields already split). */
static int row_is_good(Engine *e, Field *f)
{
    int version = -1;
    if (e->version_column >= 0) {
        Field v = f[e->version_column];
        for (int i = 0; i < N_VERSIONS; i++)
            if (v.n == e->version_len[i] && memcmp(v.p, e->versions[i], v.n) == 0) version = i;
    }
    for (int c = 0; c < e->width; c++) {
        const char *s = f[c].p;
        Py_ssize_t n = f[c].n;
        long long value;
        switch (e->kind[c]) {
        case K_SKIP:
            continue;
        default:
            break;
        }
        if (n == 0) {
            if (e->required[c]) return 0;
            continue;
        }
        switch (e->kind[c]) {
        case K_TEXT:
            break;
        case K_INT:
            if (!canonical_int(s, n, &value) || value < e->minimum[c] || value > e->maximum[c]) return 0;
            break;
        case K_DATE:
            if (!calendar_date(e, s, n)) return 0;
            break;
        case K_BOOL:
            if (n != 1 || (s[0] != '0' && s[0] != '1')) return 0;
            break;
        case K_NUMERIC:
            if (!numeric_text(s, n)) return 0;
            break;
        case K_ENUM: {
            int found = 0;
            for (int i = 0; i < e->n_values[c] && !found; i++)
                found = n == e->value_len[c][i] && memcmp(s, e->values[c][i], n) == 0;
            if (!found) return 0;
            break;
        }
        case K_PID:
            if (n != e->citizen_digits || !all_digits(s, n)) return 0;
            break;
        case K_ICD10:
            if (!icd10_code(s, n)) return 0;
            break;
        case K_REGNO:
            if (!registration_number(e, s, n)) return 0;
            break;
        case K_PROVINCE:
            if (version < 0 || n != 2 || !all_digits(s, 2) || !e->provinces[version][number(s, 2)]) return 0;
            break;
        case K_COMMUNE: {
            if (version < 0 || n != 5 || !all_digits(s, 5) || !e->communes) return 0;
            int parent = e->communes[version * 100000 + number(s, 5)];
            if (!parent) return 0;
            if (e->commune_parent_column >= 0) {
                Field p = f[e->commune_parent_column];
                if (p.n != 2 || !all_digits(p.p, 2) || number(p.p, 2) + 1 != parent) return 0;
            }
            break;
        }
        default:
            return 0;
        }
    }
    for (int r = 0; r < e->n_rules; r++) {
        Rule *rule = &e->rules[r];
        Field a = f[rule->a];
        Field b = rule->b >= 0 ? f[rule->b] : (Field){e->extracted_on, 10};
        if (rule->op == R_EMPTY_WHEN) {
            if (a.n == rule->value_len && memcmp(a.p, rule->value, a.n) == 0 && b.n != 0) return 0;
            continue;
        }
        if (a.n == 0 || b.n == 0) continue; /* SQL: a comparison with null holds */
        int cmp = memcmp(a.p, b.p, 10); /* both checked YYYY-MM-DD dates: text order is date order */
        if ((rule->op == R_LT && !(cmp < 0)) || (rule->op == R_LE && !(cmp <= 0))
            || (rule->op == R_GE && !(cmp >= 0))) return 0;
    }
    return 1;
}

static void pseudonym(Engine *e, const char *digits, unsigned char *digest)
{
    unsigned char inner[SHA256_DIGEST_LENGTH];
    SHA256_CTX ctx = e->inner;
    SHA256_Update(&ctx, digits, (size_t)e->citizen_digits);
    SHA256_Final(inner, &ctx);
    ctx = e->outer;
    SHA256_Update(&ctx, inner, sizeof inner);
    SHA256_Final(digest, &ctx);
    OPENSSL_cleanse(&ctx, sizeof ctx);
}

/* ---------------------------------------------------------------- Engine.feed */

static PyObject *slow_entry(long long row, long long line, const char *p, Py_ssize_t n)
{
    return Py_BuildValue("(LLy#)", row, line, p, n);
}

typedef struct { long long row, line; Py_ssize_t offset, length; } Slow;

static PyObject *Engine_feed(Engine *e, PyObject *args)
{
    Py_buffer block;
    long long row, line;
    if (!PyArg_ParseTuple(args, "y*LL", &block, &row, &line)) return NULL;
    Buffer out = {0};
    Slow *slow_rows = NULL;
    size_t n_slow = 0, slow_cap = 0;
    const char *data = block.buf, *end = data + block.len;
    Field fields[MAX_COLUMNS];
    int failed = 0;

    /* The work on the bytes needs no Python object: other threads (the COPY's sender) run meanwhile.
     * Only one thread may feed an engine at a time. */
    Py_BEGIN_ALLOW_THREADS
    while (data < end && !failed) {
        const char *nl = memchr(data, '\n', end - data);
        const char *stop = nl ? nl : end;
        const char *next = nl ? nl + 1 : end;
        if (stop > data && stop[-1] == '\r') stop--;
        line++;
        if (stop == data) { data = next; continue; } /* a blank line is not a record */
        row++;
        Py_ssize_t n = stop - data;
        int good = memchr(data, '\r', n) == NULL && memchr(data, '\0', n) == NULL
                   && memchr(data, '"', n) == NULL && utf8_valid((const unsigned char *)data, n);
        if (good) {
            /* one field more than commas; another number of fields goes the general way */
            int count = 0;
            const char *p = data;
            for (;;) {
                const char *comma = memchr(p, ',', stop - p);
                if (count == e->width) { good = 0; break; }
                fields[count].p = p;
                fields[count].n = (comma ? comma : stop) - p;
                count++;
                if (!comma) break;
                p = comma + 1;
            }
            good = good && count == e->width;
        }
        if (good) good = row_is_good(e, fields);
        if (good && e->n_key) {
            uint64_t h = 14695981039346656037ULL;
            for (int k = 0; k < e->n_key; k++) {
                h = fnv1a(h, fields[e->key[k]].p, fields[e->key[k]].n);
                h = fnv1a(h, "\x1f", 1);
            }
            int seen = seen_before(e, h);
            if (seen < 0) { failed = 1; break; }
            if (seen) e->suspected_duplicate = 1;
        }
        if (!good) {
            if (n_slow == slow_cap) {
                size_t cap = slow_cap ? slow_cap * 2 : 256;
                Slow *grown = PyMem_RawRealloc(slow_rows, cap * sizeof(Slow));
                if (!grown) { failed = 1; break; }
                slow_rows = grown;
                slow_cap = cap;
            }
            slow_rows[n_slow++] = (Slow){row, line, data - (const char *)block.buf, n};
            data = next;
            continue;
        }
        /* One tuple of COPY's binary format: the field count, then each field's length (-1 for
         * null) and bytes: text as it is, integers and dates as 4 bytes, booleans as 1, a
         * pseudonym as the HMAC's 32 bytes. PostgreSQL then parses nothing. */
        if (reserve(&out, 2 + 8 + (size_t)e->prefix_len + 8 + (size_t)e->n_out * 8 + n
                          + (size_t)e->n_pid * (4 + SHA256_DIGEST_LENGTH)) < 0) {
            failed = 1; break;
        }
        put_u16(&out, (uint16_t)(2 + e->n_out + e->n_pid));
        put_u32(&out, (uint32_t)e->prefix_len);
        put(&out, e->prefix, e->prefix_len);
        put_u32(&out, 4);
        put_u32(&out, (uint32_t)row);
        for (int i = 0; i < e->n_out; i++) {
            int c = e->out[i];
            Field v = fields[c];
            long long value;
            if (v.n == 0) { put_u32(&out, 0xFFFFFFFFu); continue; }
            switch (e->kind[c]) {
            case K_INT:
                canonical_int(v.p, v.n, &value);
                put_u32(&out, 4);
                put_u32(&out, (uint32_t)(int32_t)value);
                break;
            case K_DATE:
                put_u32(&out, 4);
                put_u32(&out, (uint32_t)postgres_day(v.p));
                break;
            case K_BOOL:
                put_u32(&out, 1);
                put(&out, v.p[0] == '1' ? "\1" : "\0", 1);
                break;
            default:
                put_u32(&out, (uint32_t)v.n);
                put(&out, v.p, v.n);
            }
        }
        for (int i = 0; i < e->n_pid; i++) {
            Field v = fields[e->pid[i]];
            if (v.n == 0) { put_u32(&out, 0xFFFFFFFFu); continue; }
            put_u32(&out, SHA256_DIGEST_LENGTH);
            pseudonym(e, v.p, (unsigned char *)out.data + out.len);
            out.len += SHA256_DIGEST_LENGTH;
        }
        data = next;
    }
    Py_END_ALLOW_THREADS

    PyObject *slow = NULL, *fast = NULL;
    if (failed) {
        PyErr_NoMemory();
        goto done;
    }
    slow = PyList_New((Py_ssize_t)n_slow);
    if (!slow) goto done;
    for (size_t i = 0; i < n_slow; i++) {
        PyObject *entry = slow_entry(slow_rows[i].row, slow_rows[i].line,
                                     (const char *)block.buf + slow_rows[i].offset, slow_rows[i].length);
        if (!entry) { Py_CLEAR(slow); goto done; }
        PyList_SET_ITEM(slow, (Py_ssize_t)i, entry);
    }
    fast = PyBytes_FromStringAndSize(out.data ? out.data : "", out.len);
    if (!fast) Py_CLEAR(slow);
done:
    PyBuffer_Release(&block);
    PyMem_RawFree(out.data);
    PyMem_RawFree(slow_rows);
    if (!slow) { Py_XDECREF(fast); return NULL; }
    return Py_BuildValue("(NNLL)", fast, slow, row, line);
}

static PyObject *Engine_suspected_duplicate(Engine *e, PyObject *unused)
{
    return PyBool_FromLong(e->suspected_duplicate);
}

/* ---------------------------------------------------------------- Engine(...) */

static int int_tuple(PyObject *seq, int *into, int *count, int limit)
{
    Py_ssize_t n = PySequence_Size(seq);
    if (n < 0 || n > limit) { PyErr_SetString(PyExc_ValueError, "too many columns"); return -1; }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PySequence_GetItem(seq, i);
        if (!item) return -1;
        into[i] = (int)PyLong_AsLong(item);
        Py_DECREF(item);
        if (PyErr_Occurred()) return -1;
    }
    *count = (int)n;
    return 0;
}

static int Engine_init(Engine *e, PyObject *args, PyObject *kwargs)
{
    /* (kinds, required, minimum, maximum, values, out, pid, key, version_column,
     *  commune_parent_column, versions, provinces, communes, rules, inner_block, outer_block,
     *  prefix, extracted_on, citizen_digits, first_year, last_year, regno_max, regno_inner)
     * -- built by crvs.feeds.fastpath.engine() */
    PyObject *minimum, *maximum, *values, *out, *pid, *key, *versions, *rules;
    Py_buffer kinds, required, provinces, communes, inner_block, outer_block, prefix, extracted_on;
    const char *inner_chars;
    Py_ssize_t inner_len;
    if (!PyArg_ParseTuple(args, "y*y*OOOOOOiiOy*y*Oy*y*y*y*iiiny#", &kinds, &required, &minimum, &maximum,
                          &values, &out, &pid, &key, &e->version_column, &e->commune_parent_column,
                          &versions, &provinces, &communes, &rules, &inner_block, &outer_block,
                          &prefix, &extracted_on, &e->citizen_digits, &e->first_year, &e->last_year,
                          &e->regno_max, &inner_chars, &inner_len))
        return -1;
    int status = -1;
    Py_XSETREF(e->keep, PyTuple_Pack(4, values, versions, rules, Py_None));
    if (!e->keep) goto done;
    if (kinds.len > MAX_COLUMNS || kinds.len != required.len || inner_block.len != 64
        || outer_block.len != 64 || prefix.len > (1 << 20) || extracted_on.len != 10
        || provinces.len != N_VERSIONS * 100 || (communes.len != 0 && communes.len != N_VERSIONS * 100000)) {
        PyErr_SetString(PyExc_ValueError, "malformed engine description");
        goto done;
    }
    /* dates are compared as text (four-digit years); a citizen number fits a line */
    if (e->citizen_digits < 1 || e->citizen_digits > 1024 || e->first_year < 1000 || e->last_year > 9999
        || e->first_year > e->last_year || e->regno_max < 1 || inner_len > MAX_INNER) {
        PyErr_SetString(PyExc_ValueError, "formats outside the engine's reach");
        goto done;
    }
    memcpy(e->regno_inner, inner_chars, (size_t)inner_len);
    e->regno_inner_len = inner_len;
    e->width = (int)kinds.len;
    memcpy(e->kind, kinds.buf, kinds.len);
    memcpy(e->required, required.buf, required.len);
    for (int c = 0; c < e->width; c++) {
        PyObject *lo = PySequence_GetItem(minimum, c), *hi = PySequence_GetItem(maximum, c);
        PyObject *vals = PySequence_GetItem(values, c);
        if (!lo || !hi || !vals) { Py_XDECREF(lo); Py_XDECREF(hi); Py_XDECREF(vals); goto done; }
        e->minimum[c] = PyLong_AsLongLong(lo);
        e->maximum[c] = PyLong_AsLongLong(hi);
        Py_DECREF(lo); Py_DECREF(hi);
        Py_ssize_t nv = PyTuple_Check(vals) ? PyTuple_GET_SIZE(vals) : -1;
        if (nv < 0 || nv > MAX_VALUES) {
            Py_DECREF(vals);
            PyErr_SetString(PyExc_ValueError, "values must be a tuple of bytes");
            goto done;
        }
        e->n_values[c] = (int)nv;
        for (Py_ssize_t i = 0; i < nv; i++) {
            PyObject *v = PyTuple_GET_ITEM(vals, i); /* kept alive by e->keep */
            if (PyBytes_AsStringAndSize(v, (char **)&e->values[c][i], &e->value_len[c][i]) < 0) {
                Py_DECREF(vals);
                goto done;
            }
        }
        Py_DECREF(vals);
        if (PyErr_Occurred()) goto done;
    }
    if (int_tuple(out, e->out, &e->n_out, MAX_COLUMNS) < 0 || int_tuple(pid, e->pid, &e->n_pid, MAX_COLUMNS) < 0
        || int_tuple(key, e->key, &e->n_key, MAX_COLUMNS) < 0)
        goto done;
    if (!PyTuple_Check(versions) || PyTuple_GET_SIZE(versions) != N_VERSIONS) {
        PyErr_SetString(PyExc_ValueError, "versions must be a tuple of two bytes");
        goto done;
    }
    for (int i = 0; i < N_VERSIONS; i++)
        if (PyBytes_AsStringAndSize(PyTuple_GET_ITEM(versions, i), (char **)&e->versions[i], &e->version_len[i]) < 0)
            goto done;
    memcpy(e->provinces, provinces.buf, sizeof e->provinces);
    PyMem_Free(e->communes);
    e->communes = NULL;
    if (communes.len) {
        e->communes = PyMem_Malloc(communes.len);
        if (!e->communes) { PyErr_NoMemory(); goto done; }
        memcpy(e->communes, communes.buf, communes.len);
    }
    if (!PyTuple_Check(rules) || PyTuple_GET_SIZE(rules) > 16) {
        PyErr_SetString(PyExc_ValueError, "rules must be a tuple of at most 16");
        goto done;
    }
    e->n_rules = (int)PyTuple_GET_SIZE(rules);
    for (int r = 0; r < e->n_rules; r++) {
        Rule *rule = &e->rules[r];
        if (!PyArg_ParseTuple(PyTuple_GET_ITEM(rules, r), "iiiy#", &rule->op, &rule->a, &rule->b,
                              &rule->value, &rule->value_len))
            goto done;
    }
    SHA256_Init(&e->inner);
    SHA256_Update(&e->inner, inner_block.buf, 64);
    SHA256_Init(&e->outer);
    SHA256_Update(&e->outer, outer_block.buf, 64);
    PyMem_Free(e->prefix);
    e->prefix = PyMem_Malloc(prefix.len ? prefix.len : 1);
    if (!e->prefix) { PyErr_NoMemory(); goto done; }
    memcpy(e->prefix, prefix.buf, prefix.len);
    e->prefix_len = prefix.len;
    memcpy(e->extracted_on, extracted_on.buf, 10);
    status = 0;
done:
    PyBuffer_Release(&kinds); PyBuffer_Release(&required); PyBuffer_Release(&provinces);
    PyBuffer_Release(&communes); PyBuffer_Release(&inner_block); PyBuffer_Release(&outer_block);
    PyBuffer_Release(&prefix); PyBuffer_Release(&extracted_on);
    return status;
}

static void Engine_dealloc(Engine *e)
{
    OPENSSL_cleanse(&e->inner, sizeof e->inner);
    OPENSSL_cleanse(&e->outer, sizeof e->outer);
    PyMem_Free(e->communes);
    PyMem_Free(e->prefix);
    PyMem_RawFree(e->seen);
    Py_XDECREF(e->keep);
    Py_TYPE(e)->tp_free((PyObject *)e);
}

static PyObject *Engine_repr(Engine *e) { return PyUnicode_FromString("<fast-path engine, key hidden>"); }

static PyMethodDef Engine_methods[] = {
    {"feed", (PyCFunction)Engine_feed, METH_VARARGS,
     "feed(block, row, line) -> (fast, slow, row, line): block holds whole lines; fast is binary COPY "
     "tuples for raw.<dataset>; slow lists (row, line, bytes) of the rows to send the general way."},
    {"suspected_duplicate", (PyCFunction)Engine_suspected_duplicate, METH_NOARGS,
     "True when a key may have appeared twice among the fast rows."},
    {NULL}
};

static PyTypeObject EngineType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "crvs.feeds._fastload.Engine",
    .tp_basicsize = sizeof(Engine),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Engine_init,
    .tp_dealloc = (destructor)Engine_dealloc,
    .tp_repr = (reprfunc)Engine_repr,
    .tp_methods = Engine_methods,
};

static PyObject *plain_block(PyObject *module, PyObject *args)
{
    /* True when the bytes hold no double quote and no carriage return that does not end a line:
     * then every record is one line split on commas, as the fast path reads it. */
    Py_buffer block;
    if (!PyArg_ParseTuple(args, "y*", &block)) return NULL;
    const char *s = block.buf, *end = s + block.len;
    int plain = memchr(s, '"', block.len) == NULL;
    const char *p = s;
    while (plain && (p = memchr(p, '\r', end - p)) != NULL) {
        if (p + 1 < end && p[1] != '\n') plain = 0;
        p++;
    }
    PyBuffer_Release(&block);
    return PyBool_FromLong(plain);
}

static PyMethodDef module_methods[] = {
    {"plain_block", plain_block, METH_VARARGS, "plain_block(bytes) -> bool"},
    {NULL}
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_fastload", NULL, -1, module_methods};

PyMODINIT_FUNC PyInit__fastload(void)
{
    if (PyType_Ready(&EngineType) < 0) return NULL;
    PyObject *m = PyModule_Create(&module);
    if (!m) return NULL;
    Py_INCREF(&EngineType);
    if (PyModule_AddObject(m, "Engine", (PyObject *)&EngineType) < 0) {
        Py_DECREF(&EngineType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}

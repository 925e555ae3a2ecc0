//! A bounded multipart/form-data parser (RFC 7578 with the HTML spec's encoding,
//! https://html.spec.whatwg.org/multipage/form-control-infrastructure.html#multipart-form-data).
//! The whole body is in memory already; the parser is linear in its size and refuses anything
//! malformed instead of guessing.

/// A part; its body is a slice of the input (no copy: the only copy made is the isolate's, which
/// its memory limit counts).
#[derive(Debug, PartialEq)]
pub struct Part<'a> {
  pub name: String,
  pub filename: Option<String>,
  pub content_type: Option<String>,
  pub body: &'a [u8],
}

/// Bounds on one part's header section, so a hostile body cannot make us collect junk headers.
const MAX_HEADER_BYTES: usize = 16 * 1024;
const MAX_HEADERS: usize = 32;

pub fn parse<'a>(body: &'a [u8], boundary: &[u8]) -> Result<Vec<Part<'a>>, &'static str> {
  // RFC 2046 §5.1.1: 1 to 70 characters.
  if boundary.is_empty() || boundary.len() > 70 {
    return Err("invalid boundary");
  }
  let mut delim = Vec::with_capacity(boundary.len() + 4);
  delim.extend_from_slice(b"\r\n--");
  delim.extend_from_slice(boundary);
  // The first delimiter may open the body or follow a preamble.
  let mut pos = if body.starts_with(&delim[2..]) {
    delim.len() - 2
  } else {
    find(body, &delim, 0).ok_or("no boundary found")? + delim.len()
  };
  let mut parts = Vec::new();
  loop {
    let rest = &body[pos..];
    if rest.starts_with(b"--") {
      return Ok(parts);
    }
    // Transport padding, then the CRLF ending the delimiter line.
    let pad = rest.iter().take_while(|b| **b == b' ' || **b == b'\t').count();
    if !rest[pad..].starts_with(b"\r\n") {
      return Err("malformed delimiter line");
    }
    pos += pad + 2;
    let (headers, after) = parse_headers(body, pos)?;
    pos = after;
    let end = find(body, &delim, pos).ok_or("unterminated part")?;
    parts.push(Part {
      name: headers.name,
      filename: headers.filename,
      content_type: headers.content_type,
      body: &body[pos..end],
    });
    pos = end + delim.len();
  }
}

struct PartHeaders {
  name: String,
  filename: Option<String>,
  content_type: Option<String>,
}

/// Parses header lines from `pos` to the empty line; returns them and the offset after it.
fn parse_headers(body: &[u8], mut pos: usize) -> Result<(PartHeaders, usize), &'static str> {
  let start = pos;
  let mut disposition: Option<(String, Option<String>)> = None;
  let mut content_type = None;
  for _ in 0..=MAX_HEADERS {
    let limit = (start + MAX_HEADER_BYTES).min(body.len());
    let eol = find(&body[..limit], b"\r\n", pos).ok_or("unterminated part headers")?;
    let line = &body[pos..eol];
    pos = eol + 2;
    if line.is_empty() {
      let (name, filename) = disposition.ok_or("part without Content-Disposition")?;
      return Ok((PartHeaders { name, filename, content_type }, pos));
    }
    let colon = line.iter().position(|b| *b == b':').ok_or("malformed part header")?;
    let name = trim(&line[..colon]);
    let value = trim(&line[colon + 1..]);
    if name.eq_ignore_ascii_case(b"content-disposition") {
      disposition = Some(parse_disposition(value)?);
    } else if name.eq_ignore_ascii_case(b"content-type") {
      // https://html.spec.whatwg.org/#multipart/form-data-parser: a non-ASCII type becomes "".
      content_type = Some(if value.is_ascii() { String::from_utf8_lossy(value).into_owned() } else { String::new() });
    }
  }
  Err("too many part headers")
}

/// `form-data; name="x"; filename="y"` → (name, filename). `filename*` (RFC 5987) wins over
/// `filename`.
fn parse_disposition(v: &[u8]) -> Result<(String, Option<String>), &'static str> {
  let semi = v.iter().position(|b| *b == b';').unwrap_or(v.len());
  if !trim(&v[..semi]).eq_ignore_ascii_case(b"form-data") {
    return Err("Content-Disposition is not form-data");
  }
  let (mut name, mut filename, mut filename_ext) = (None, None, None);
  let mut i = semi;
  while i < v.len() {
    i += 1; // the ';'
    while i < v.len() && matches!(v[i], b' ' | b'\t') {
      i += 1;
    }
    let key_end = i + v[i..].iter().position(|b| *b == b'=' || *b == b';').unwrap_or(v.len() - i);
    let key = trim(&v[i..key_end]);
    i = key_end;
    if i >= v.len() || v[i] == b';' {
      continue; // a parameter without a value
    }
    i += 1; // the '='
    let value = if v.get(i) == Some(&b'"') {
      // quoted-string: backslash escapes the next byte.
      let mut out = Vec::new();
      i += 1;
      loop {
        match v.get(i) {
          None => return Err("unterminated quoted string"),
          Some(b'"') => {
            i += 1;
            break;
          }
          Some(b'\\') if i + 1 < v.len() => {
            out.push(v[i + 1]);
            i += 2;
          }
          Some(b) => {
            out.push(*b);
            i += 1;
          }
        }
      }
      while i < v.len() && v[i] != b';' {
        i += 1;
      }
      out
    } else {
      let end = i + v[i..].iter().position(|b| *b == b';').unwrap_or(v.len() - i);
      let out = trim(&v[i..end]).to_vec();
      i = end;
      out
    };
    if key.eq_ignore_ascii_case(b"name") {
      name = Some(unescape(&value));
    } else if key.eq_ignore_ascii_case(b"filename") {
      filename = Some(unescape(&value));
    } else if key.eq_ignore_ascii_case(b"filename*") {
      filename_ext = ext_value(&value);
    }
  }
  Ok((name.ok_or("form-data part without a name")?, filename_ext.or(filename)))
}

/// Undoes the HTML spec's escaping of names and filenames (`"`, CR, LF as %22, %0D, %0A), as
/// browsers and undici do, so FormData survives a round trip.
fn unescape(v: &[u8]) -> String {
  let s = String::from_utf8_lossy(v);
  if !s.contains('%') {
    return s.into_owned();
  }
  let mut out = String::with_capacity(s.len());
  let mut rest = &s[..];
  while let Some(i) = rest.find('%') {
    out.push_str(&rest[..i]);
    let code = rest.get(i + 1..i + 3).map(|c| c.to_ascii_uppercase());
    match code.as_deref() {
      Some("22") => out.push('"'),
      Some("0D") => out.push('\r'),
      Some("0A") => out.push('\n'),
      _ => {
        out.push('%');
        rest = &rest[i + 1..];
        continue;
      }
    }
    rest = &rest[i + 3..];
  }
  out.push_str(rest);
  out
}

/// RFC 5987 ext-value `charset'lang'pct-encoded`, UTF-8 (or ASCII) only.
fn ext_value(v: &[u8]) -> Option<String> {
  let mut it = v.splitn(3, |b| *b == b'\'');
  let charset = it.next()?;
  let _lang = it.next()?;
  let encoded = it.next()?;
  if !charset.eq_ignore_ascii_case(b"utf-8") && !charset.eq_ignore_ascii_case(b"us-ascii") {
    return None;
  }
  let decoded = percent_decode(encoded);
  Some(String::from_utf8_lossy(&decoded).into_owned())
}

fn percent_decode(v: &[u8]) -> Vec<u8> {
  let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
  let mut out = Vec::with_capacity(v.len());
  let mut i = 0;
  while i < v.len() {
    if v[i] == b'%' && i + 2 < v.len() {
      if let (Some(h), Some(l)) = (hex(v[i + 1]), hex(v[i + 2])) {
        out.push(h * 16 + l);
        i += 3;
        continue;
      }
    }
    out.push(v[i]);
    i += 1;
  }
  out
}

fn trim(v: &[u8]) -> &[u8] {
  let start = v.iter().position(|b| !matches!(b, b' ' | b'\t')).unwrap_or(v.len());
  let end = v.iter().rposition(|b| !matches!(b, b' ' | b'\t')).map_or(start, |e| e + 1);
  &v[start..end.max(start)]
}

/// First index >= from where `needle` occurs in `hay`.
fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
  let first = *needle.first()?;
  let mut i = from;
  while i + needle.len() <= hay.len() {
    let off = hay[i..=hay.len() - needle.len()].iter().position(|b| *b == first)?;
    i += off;
    if &hay[i..i + needle.len()] == needle {
      return Some(i);
    }
    i += 1;
  }
  None
}

#[cfg(test)]
mod tests {
  use super::*;

  fn field<'a>(name: &str, body: &'a str) -> Part<'a> {
    Part { name: name.into(), filename: None, content_type: None, body: body.as_bytes() }
  }

  #[test]
  fn parses_fields_and_files() {
    let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n\
--XyZ\r\ncontent-disposition: form-data; name=\"f\"; filename=\"x.txt\"\r\nContent-Type: text/plain\r\n\r\nhello\r\nworld\r\n\
--XyZ--\r\n";
    let parts = parse(body, b"XyZ").unwrap();
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[0], field("a", "1"));
    assert_eq!(parts[1].name, "f");
    assert_eq!(parts[1].filename.as_deref(), Some("x.txt"));
    assert_eq!(parts[1].content_type.as_deref(), Some("text/plain"));
    assert_eq!(parts[1].body, b"hello\r\nworld");
  }

  #[test]
  fn allows_preamble_epilogue_padding_and_empty_values() {
    let body = b"preamble\r\n--b  \r\nContent-Disposition: form-data; name=e\r\n\r\n\r\n--b--epilogue";
    assert_eq!(parse(body, b"b").unwrap(), vec![field("e", "")]);
    assert_eq!(parse(b"--b--", b"b").unwrap(), vec![]);
  }

  #[test]
  fn quoted_strings_and_ext_filenames() {
    let body = "--b\r\nContent-Disposition: form-data; name=\"q\\\"x;y\"; filename=\"a.bin\"; filename*=UTF-8''%E2%82%AC.txt\r\n\r\n\u{0}\r\n--b--".as_bytes();
    let p = &parse(body, b"b").unwrap()[0];
    assert_eq!(p.name, "q\"x;y");
    assert_eq!(p.filename.as_deref(), Some("€.txt"));
    assert_eq!(p.body, b"\0");
  }

  #[test]
  fn utf8_names_kept_and_non_ascii_type_cleared() {
    let body = "--b\r\nContent-Disposition: form-data; name=\"名\"; filename=\"f\"\r\nContent-Type: tëxt\r\n\r\nv\r\n--b--".as_bytes();
    let p = &parse(body, b"b").unwrap()[0];
    assert_eq!(p.name, "名");
    assert_eq!(p.content_type.as_deref(), Some(""));
  }

  #[test]
  fn refuses_malformed_bodies() {
    let ok = |b: &[u8]| parse(b, b"b").is_ok();
    assert!(!ok(b""));
    assert!(!ok(b"nothing here"));
    assert!(!ok(b"--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nunterminated"));
    assert!(!ok(b"--b\r\nContent-Disposition: form-data; name=\"a\"\r\nno blank line"));
    assert!(!ok(b"--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--"));
    assert!(!ok(b"--b\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nx\r\n--b--"));
    assert!(!ok(b"--b\r\nContent-Disposition: form-data; filename=\"a\"\r\n\r\nx\r\n--b--"));
    assert!(!ok(b"--b\r\nContent-Disposition: form-data; name=\"a\r\n\r\nx\r\n--b--"));
    assert!(!ok(b"--bjunk\r\n"));
    assert!(parse(b"--\r\n", b"").is_err());
    assert!(parse(b"x", &[b'a'; 71]).is_err());
    let mut many = b"--b\r\n".to_vec();
    for _ in 0..100 {
      many.extend_from_slice(b"X-A: 1\r\n");
    }
    many.extend_from_slice(b"Content-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--b--");
    assert!(parse(&many, b"b").is_err());
  }

  #[test]
  fn unescapes_html_escapes_only() {
    assert_eq!(unescape(b"a%22b%0d%0Ac%41%"), "a\"b\r\nc%41%");
    assert_eq!(unescape("é%2".as_bytes()), "é%2");
  }

  #[test]
  fn never_panics_on_random_input() {
    // Random sequences of the tokens the parser cares about, from a fixed-seed LCG.
    let tokens: [&[u8]; 12] = [b"--b", b"\r\n", b"\r", b"--", b":", b";", b"\"", b"\\", b"=", b"Content-Disposition: form-data", b" name=\"x\"", b"filename*=utf-8''%"];
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
      seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
      (seed >> 33) as usize
    };
    for _ in 0..20_000 {
      let mut body = Vec::new();
      for _ in 0..next() % 24 {
        body.extend_from_slice(tokens[next() % tokens.len()]);
      }
      let _ = parse(&body, b"b");
    }
  }

  mod props {
    use super::super::*;
    use proptest::prelude::*;

    /// A part as a browser's FormData serialisation writes it (HTML spec's escaping of `"`, CR, LF).
    #[derive(Debug, Clone)]
    struct Gen {
      name: String,
      filename: Option<String>,
      content_type: Option<String>,
      body: Vec<u8>,
    }

    fn escape(s: &str) -> String {
      s.replace('"', "%22").replace('\r', "%0D").replace('\n', "%0A")
    }

    fn serialise(parts: &[Gen], boundary: &[u8]) -> Vec<u8> {
      let mut out = b"preamble\r\n".to_vec();
      for p in parts {
        out.extend_from_slice(b"--");
        out.extend_from_slice(boundary);
        out.extend_from_slice(format!("\r\nContent-Disposition: form-data; name=\"{}\"", escape(&p.name)).as_bytes());
        if let Some(f) = &p.filename {
          out.extend_from_slice(format!("; filename=\"{}\"", escape(f)).as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        if let Some(t) = &p.content_type {
          out.extend_from_slice(format!("Content-Type: {t}\r\n").as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&p.body);
        out.extend_from_slice(b"\r\n");
      }
      out.extend_from_slice(b"--");
      out.extend_from_slice(boundary);
      out.extend_from_slice(b"--\r\n");
      out
    }

    // Names and filenames: any text but `%` (which the spec does not escape, so `%22` in a
    // name is ambiguous by design) and `\` (quoted-pair in the parser).
    fn text() -> impl Strategy<Value = String> {
      "[^%\\\\]{0,16}"
    }

    fn part(boundary: Vec<u8>) -> impl Strategy<Value = Gen> {
      (
        text(),
        proptest::option::of(text()),
        proptest::option::of("[a-z]{1,8}/[a-z0-9.+-]{1,12}(; charset=utf-8)?"),
        proptest::collection::vec(any::<u8>(), 0..200),
      )
        .prop_map(move |(name, filename, content_type, mut body)| {
          // A body may hold anything but its delimiter; break each occurrence of it. (Nothing
          // can straddle the body's end: the delimiter's only CR is its first byte.)
          let mut delim = b"\r\n--".to_vec();
          delim.extend_from_slice(&boundary);
          while let Some(i) = find(&body, &delim, 0) {
            body[i] = b'x';
          }
          Gen { name, filename, content_type, body }
        })
    }

    fn boundary() -> impl Strategy<Value = Vec<u8>> {
      // RFC 2046 bchars, never ending in a space.
      "[0-9A-Za-z'()+_,./:=?-]{1,70}".prop_map(String::into_bytes)
    }

    proptest! {
      #![proptest_config(ProptestConfig::with_cases(512))]

      #[test]
      fn arbitrary_input_never_panics_and_bodies_lie_within_it(
        body in proptest::collection::vec(any::<u8>(), 0..400),
        boundary in proptest::collection::vec(any::<u8>(), 0..80),
      ) {
        if let Ok(parts) = parse(&body, &boundary) {
          let range = body.as_ptr_range();
          for p in parts {
            let r = p.body.as_ptr_range();
            prop_assert!(range.start <= r.start && r.end <= range.end);
          }
        }
      }

      #[test]
      fn token_soup_never_panics(
        tokens in proptest::collection::vec(prop_oneof![
          Just(&b"--b"[..]), Just(&b"\r\n"[..]), Just(&b"--"[..]), Just(&b":"[..]), Just(&b";"[..]), Just(&b"\""[..]),
          Just(&b"\\"[..]), Just(&b"="[..]), Just(&b" "[..]), Just(&b"Content-Disposition: form-data"[..]),
          Just(&b" name=\"x\""[..]), Just(&b"filename*=utf-8''%"[..]), Just(&b"Content-Type:"[..]), Just(&b"\xff"[..]),
        ], 0..40),
      ) {
        let body: Vec<u8> = tokens.concat();
        let _ = parse(&body, b"b");
      }

      #[test]
      fn serialised_parts_parse_back_exactly(
        (boundary, parts) in boundary().prop_flat_map(|b| (Just(b.clone()), proptest::collection::vec(part(b), 0..6))),
      ) {
        let body = serialise(&parts, &boundary);
        let parsed = parse(&body, &boundary).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(parsed.len(), parts.len());
        for (got, want) in parsed.iter().zip(&parts) {
          prop_assert_eq!(&got.name, &want.name);
          prop_assert_eq!(&got.filename, &want.filename);
          prop_assert_eq!(&got.content_type, &want.content_type);
          prop_assert_eq!(got.body, &want.body[..]);
        }
      }
    }
  }

  #[test]
  fn find_works_at_edges() {
    assert_eq!(find(b"abcabd", b"abd", 0), Some(3));
    assert_eq!(find(b"ab", b"abc", 0), None);
    assert_eq!(find(b"aaa", b"a", 3), None);
    assert_eq!(percent_decode(b"%41%4"), b"A%4");
    assert_eq!(percent_decode(b"%zz%"), b"%zz%");
  }
}

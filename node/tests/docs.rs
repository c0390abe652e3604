//! `docs/security.md` names, for every threat, the test that tries the attack. This test keeps
//! those names honest: it reads every backticked reference in the last ("Test") column of the
//! file's tables and fails, naming each one, when the test it names no longer exists.
//!
//! A reference is `[crate: [more: ]]path`: the crate is a workspace crate's directory name
//! (`runtime`, `client`, `node`, `login-records`, ...); without one, the crate named earlier in
//! the same cell, else the crate the section's heading names (`pallets/firmware-releases`).
//! Further prefixes are modules (`node: local_testnet: test`). `a::b::test` must be a `fn test`
//! inside a module path ending in `a::b`; the final segment may instead be a test file (`node:
//! consortium`, `node: faults::partition`, `fuzz: runtime`), or `*` for a whole module.
//! `…::test` stands for the previous reference's modules. Besides references, a cell may name a
//! file (`scripts/test.sh`), a crate (`login-records` rows above) or a benchmark's scenario
//! (`throughput (d)`); backticks inside parentheses are commentary and are not read.
//!
//! Only std: the tree's `.rs` files are read with a small lexer that sees comments, strings and
//! braces, which is all it takes to know each `fn`'s enclosing modules.

use std::{collections::BTreeMap, fs, path::Path};

/// Directories never read: build output and the fuzzers' data.
const SKIP_DIRS: [&str; 5] = ["target", "corpus", "artifacts", "seeds", "regressions"];

/// The directories of a crate whose files are test binaries (or fuzz targets) of their own, so
/// that a reference may name the file rather than a `fn` in it.
const TEST_DIRS: [&str; 2] = ["tests", "fuzz_targets"];

/// A module path, outermost first, e.g. `["tests", "publish"]`.
type Modules = Vec<String>;

/// A file's `fn`s and `mod`s, each with the modules it is in.
type Items = (Vec<(Modules, String)>, Vec<Modules>);

/// The item whose name the lexer reads next.
enum Item {
	Fn,
	Mod,
}

/// What the tree holds of one crate.
#[derive(Default)]
struct Crate {
	/// The crate's directory, relative to the workspace root, `/`-separated.
	dir: String,
	/// Every `fn`, with the modules it is in.
	fns: Vec<(Modules, String)>,
	/// Every module, from its file or an inline `mod name { ... }`.
	modules: Vec<Modules>,
	/// The modules of the files under `tests/` and `fuzz_targets/`.
	test_files: Vec<Modules>,
	/// The text of each benchmark (`benches/NAME.rs`), by name.
	benches: BTreeMap<String, String>,
}

#[test]
fn every_test_docs_security_names_exists() {
	let node = Path::new(env!("CARGO_MANIFEST_DIR"));
	let root = node.parent().expect("node/ is in the workspace");
	let crates = read_crates(root);
	let doc = fs::read_to_string(root.join("docs/security.md")).expect("docs/security.md");

	let mut references = 0;
	let mut unresolved = Vec::new();
	// The crate the current section's heading names, if exactly one.
	let mut section_crate: Option<String> = None;
	// Whether the lines are rows of a table whose last column is "Test" (the state table's
	// last column is not).
	let mut in_test_table = false;
	for (index, line) in doc.lines().enumerate() {
		if line.starts_with('#') {
			section_crate = heading_crate(line, &crates);
			continue;
		}
		if !line.starts_with('|') {
			in_test_table = false;
			continue;
		}
		// The last cell is after the last `|` but one; earlier cells may hold a `|` of their own
		// ("a 2|2 split"), so only the first and last cells are used.
		let cells: Vec<&str> = line.trim().trim_matches('|').split('|').collect();
		let (threat, tests) = (cells[0].trim(), cells[cells.len() - 1].trim());
		if tests == "Test" {
			in_test_table = true;
			continue;
		}
		if !in_test_table || tests.chars().all(|c| matches!(c, '-' | ':' | ' ')) {
			continue;
		}
		let mut carried = Carried::default();
		for span in spans_outside_parentheses(tests) {
			references += 1;
			let resolved = resolve(span, root, &crates, section_crate.as_deref(), &mut carried);
			if let Err(problem) = resolved {
				unresolved.push(format!(
					"docs/security.md:{}, threat \"{threat}\": `{span}`: {problem}",
					index + 1
				));
			}
		}
	}

	// A changed table header or cell layout would leave nothing checked and this test passing.
	assert!(references > 0, "no test references found in docs/security.md's Test columns");
	for line in &unresolved {
		println!("{line}");
	}
	assert!(
		unresolved.is_empty(),
		"{} of the {references} test references in docs/security.md name no test (listed above)",
		unresolved.len()
	);
}

/// What a reference passes on to the next in the same cell.
#[derive(Default)]
struct Carried {
	/// The last explicit crate prefix: `telemetry-anchors: a`, `b` names two tests of that
	/// pallet.
	prefix: Option<String>,
	/// The last reference's segments, for `…::test`.
	previous: Option<Vec<String>>,
}

/// Checks that `span`, a backticked text of a Test cell, names something that exists.
fn resolve(
	span: &str,
	root: &Path,
	crates: &BTreeMap<String, Crate>,
	section_crate: Option<&str>,
	carried: &mut Carried,
) -> Result<(), String> {
	if span.contains('/') {
		return if root.join(span).exists() { Ok(()) } else { Err("no such file".into()) };
	}
	if crates.contains_key(span) {
		return Ok(());
	}
	if let Some((bench, scenario)) = benchmark_scenario(span) {
		// The benchmark describes each of its scenarios as `(d) ...`.
		let label = format!("({scenario})");
		let found = crates
			.values()
			.any(|krate| krate.benches.get(bench).is_some_and(|text| text.contains(&label)));
		return if found { Ok(()) } else { Err("no benchmark with that scenario".into()) };
	}

	let mut pieces: Vec<&str> = span.split(": ").collect();
	let path = pieces.pop().expect("split yields at least one piece");
	if let Some(prefix) = pieces.first() {
		carried.prefix = Some(prefix.to_string());
		if !crates.contains_key(*prefix) {
			carried.previous = None;
			return Err(format!("no crate named {prefix}"));
		}
	}
	let mut segments: Vec<String> = pieces.iter().skip(1).map(|piece| piece.to_string()).collect();
	segments.extend(path.split("::").map(str::to_string));
	if segments[0] == "…" {
		let Some(previous) = &carried.previous else {
			return Err("`…` with no reference before it".into());
		};
		let rest = segments.split_off(1);
		segments = previous[..previous.len() - 1].iter().cloned().chain(rest).collect();
	}
	let (name, modules) = segments.split_last().expect("split yields at least one segment");
	let well_formed =
		modules.iter().all(|module| is_identifier(module)) && (is_identifier(name) || name == "*");
	if !well_formed {
		carried.previous = None;
		return Err("not a test reference (put commentary in parentheses)".into());
	}
	carried.previous = Some(segments.clone());

	let Some(crate_name) = carried.prefix.as_deref().or(section_crate) else {
		return Err("no crate: give the reference a `crate: ` prefix".into());
	};
	// A prefix refused above still carries, so it is looked up again.
	let Some(krate) = crates.get(crate_name) else {
		return Err(format!("no crate named {crate_name}"));
	};
	if name == "*" {
		return if krate.modules.iter().any(|path| path.ends_with(modules)) {
			Ok(())
		} else {
			Err(format!("no module {} in crate {crate_name}", modules.join("::")))
		};
	}
	let is_fn = krate
		.fns
		.iter()
		.any(|(path, fn_name)| fn_name == name && path.ends_with(modules));
	let is_test_file = krate.test_files.iter().any(|path| path.ends_with(&segments));
	if is_fn || is_test_file {
		Ok(())
	} else {
		Err(format!("no fn or test file {} in crate {crate_name}", segments.join("::")))
	}
}

/// `throughput (d)`: a benchmark's name and the label of one of its scenarios.
fn benchmark_scenario(span: &str) -> Option<(&str, &str)> {
	let (bench, scenario) = span.strip_suffix(')')?.split_once(" (")?;
	let plain = !scenario.is_empty() && !scenario.contains(['(', ')']);
	(is_identifier(bench) && plain).then_some((bench, scenario))
}

/// The crate a section heading names by its directory, as in "Firmware releases
/// (`pallets/firmware-releases`)" or "Faults (`node/tests/faults/`)"; none if it names none or
/// several.
fn heading_crate(heading: &str, crates: &BTreeMap<String, Crate>) -> Option<String> {
	// The odd pieces of a split on backticks are the backticked texts.
	let named: Vec<&String> = crates
		.iter()
		.filter(|(_, krate)| {
			heading.split('`').skip(1).step_by(2).any(|span| {
				let path = span.trim_end_matches('/');
				path == krate.dir || path.starts_with(&format!("{}/", krate.dir))
			})
		})
		.map(|(name, _)| name)
		.collect();
	match named[..] {
		[name] => Some(name.clone()),
		_ => None,
	}
}

/// The backticked texts of a cell, except those inside parentheses, which are commentary on
/// the reference before them: "`gateway: test` (`bad-signature`, twice)".
fn spans_outside_parentheses(cell: &str) -> Vec<&str> {
	let mut spans = Vec::new();
	let mut depth = 0usize;
	let mut rest = cell;
	while let Some(at) = rest.find(['`', '(', ')']) {
		let after = &rest[at + 1..];
		match rest.as_bytes()[at] {
			b'`' => {
				let Some(end) = after.find('`') else { break };
				if depth == 0 {
					spans.push(&after[..end]);
				}
				rest = &after[end + 1..];
				continue;
			},
			b'(' => depth += 1,
			_ => depth = depth.saturating_sub(1),
		}
		rest = after;
	}
	spans
}

/// Whether `text` is a plain (ASCII) Rust identifier.
fn is_identifier(text: &str) -> bool {
	let mut chars = text.chars();
	chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
		&& chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Every crate of the workspace (each directory below the root with a `Cargo.toml`, `fuzz/`
/// included), by directory name, with what its `.rs` files hold.
fn read_crates(root: &Path) -> BTreeMap<String, Crate> {
	let mut manifests = Vec::new();
	let mut sources = Vec::new();
	walk(root, &mut |path: &Path| {
		if path.file_name().is_some_and(|name| name == "Cargo.toml") {
			manifests.push(path.to_path_buf());
		} else if path.extension().is_some_and(|extension| extension == "rs") {
			sources.push(path.to_path_buf());
		}
	});

	let mut crates = BTreeMap::new();
	for manifest in manifests {
		let dir = manifest.parent().expect("a file is in a directory");
		if dir == root {
			continue;
		}
		let name = dir.file_name().expect("below the root").to_string_lossy().into_owned();
		let krate = Crate { dir: relative(root, dir).join("/"), ..Default::default() };
		assert!(crates.insert(name.clone(), krate).is_none(), "two crates in directories {name}");
	}

	for source in sources {
		// A file belongs to the crate of the deepest directory above it.
		let path = relative(root, &source);
		let joined = path.join("/");
		let Some(krate) = crates
			.values_mut()
			.filter(|krate| joined.starts_with(&format!("{}/", krate.dir)))
			.max_by_key(|krate| krate.dir.len())
		else {
			continue;
		};
		let inside = &path[krate.dir.split('/').count()..];
		let text = fs::read_to_string(&source)
			.unwrap_or_else(|error| panic!("reading {}: {error}", source.display()));
		let own_modules = file_modules(inside);
		let (fns, modules) = scan(&text, &own_modules)
			.unwrap_or_else(|problem| panic!("reading {}: {problem}", source.display()));
		krate.fns.extend(fns);
		krate.modules.extend(modules);
		if !own_modules.is_empty() {
			krate.modules.push(own_modules.clone());
		}
		if TEST_DIRS.contains(&inside[0].as_str()) {
			krate.test_files.push(own_modules);
		}
		if inside[0] == "benches" {
			let stem = inside[inside.len() - 1].trim_end_matches(".rs").to_string();
			krate.benches.insert(stem, text);
		}
	}
	crates
}

/// Calls `visit` with every file below `dir`, skipping hidden directories and `SKIP_DIRS`.
fn walk(dir: &Path, visit: &mut impl FnMut(&Path)) {
	let entries = fs::read_dir(dir).unwrap_or_else(|error| panic!("{}: {error}", dir.display()));
	let mut entries: Vec<_> = entries.map(|entry| entry.expect("a directory entry")).collect();
	entries.sort_by_key(|entry| entry.file_name());
	for entry in entries {
		let path = entry.path();
		let name = entry.file_name().to_string_lossy().into_owned();
		// `file_type` does not follow symbolic links, so a link cannot make the walk loop.
		let file_type = entry.file_type().expect("a file type");
		if file_type.is_dir() {
			if !name.starts_with('.') && !SKIP_DIRS.contains(&name.as_str()) {
				walk(&path, visit);
			}
		} else if file_type.is_file() {
			visit(&path);
		}
	}
}

/// The components of `path` below `root`.
fn relative(root: &Path, path: &Path) -> Vec<String> {
	let inside = path.strip_prefix(root).expect("below the root");
	inside
		.components()
		.map(|part| part.as_os_str().to_string_lossy().into_owned())
		.collect()
}

/// The modules of a file from its path inside its crate: `src/tests.rs` is `tests`,
/// `tests/faults/partition.rs` is `faults::partition` (the test binary `faults`, its module
/// `partition`), `src/lib.rs` is the crate root.
fn file_modules(inside: &[String]) -> Modules {
	// The first directory (src, tests, benches, fuzz_targets) is not a module.
	let parts = if inside.len() > 1 { &inside[1..] } else { inside };
	let mut modules: Modules = parts.to_vec();
	let last = modules.pop().expect("a file name");
	let stem = last.trim_end_matches(".rs");
	if !matches!(stem, "lib" | "main" | "mod") {
		modules.push(stem.to_string());
	}
	modules
}

/// The `fn`s and `mod`s of a Rust file, each with the modules it is in, starting from the
/// file's own. Comments, strings and character literals are skipped, so that a brace or a `fn`
/// in them is not taken for code; braces are counted to know where an inline module ends.
fn scan(text: &str, file_modules: &[String]) -> Result<Items, String> {
	let chars: Vec<char> = text.chars().collect();
	// Whether `pattern` starts at index `i`.
	let at = |i: usize, pattern: &str| {
		pattern.chars().enumerate().all(|(k, c)| chars.get(i + k) == Some(&c))
	};
	let (mut fns, mut modules) = (Vec::new(), Vec::new());
	// The inline modules open at this point, each with the brace depth outside it.
	let mut open: Vec<(String, usize)> = Vec::new();
	let mut depth = 0usize;
	// `fn` or `mod` was just read: the next identifier is that item's name.
	let mut expect: Option<Item> = None;
	// `mod name` was just read: a `{` next opens it inline.
	let mut pending_mod: Option<String> = None;
	let current = |open: &[(String, usize)]| -> Modules {
		file_modules
			.iter()
			.cloned()
			.chain(open.iter().map(|(name, _)| name.clone()))
			.collect()
	};

	let mut i = 0;
	while i < chars.len() {
		let c = chars[i];
		if at(i, "//") {
			while i < chars.len() && chars[i] != '\n' {
				i += 1;
			}
			continue;
		}
		if at(i, "/*") {
			// Block comments nest.
			let (mut level, mut j) = (1, i + 2);
			while j < chars.len() && level > 0 {
				if at(j, "/*") {
					(level, j) = (level + 1, j + 2);
				} else if at(j, "*/") {
					(level, j) = (level - 1, j + 2);
				} else {
					j += 1;
				}
			}
			i = j;
			continue;
		}
		if c == '"' {
			i = skip_string(&chars, i + 1);
			(expect, pending_mod) = (None, None);
			continue;
		}
		if c == '\'' {
			// A character literal ('x', '\n', '{') or a lifetime or label ('a, 'static).
			if chars.get(i + 1) == Some(&'\\') {
				i += 3;
				while i < chars.len() && chars[i] != '\'' {
					i += 1;
				}
				i += 1;
			} else if chars.get(i + 2) == Some(&'\'') {
				i += 3;
			} else {
				i += 1;
			}
			(expect, pending_mod) = (None, None);
			continue;
		}
		if starts_word(c) {
			let mut j = i;
			while j < chars.len() && continues_word(chars[j]) {
				j += 1;
			}
			let mut word: String = chars[i..j].iter().collect();
			// Raw strings (r"..", r#".."#, br"..", cr".."), raw identifiers (r#name).
			if matches!(word.as_str(), "r" | "br" | "cr") && matches!(chars.get(j), Some('#' | '"'))
			{
				let mut k = j;
				while chars.get(k) == Some(&'#') {
					k += 1;
				}
				if chars.get(k) == Some(&'"') {
					let close: Vec<char> =
						std::iter::once('"').chain(std::iter::repeat_n('#', k - j)).collect();
					i = (k + 1..chars.len())
						.find(|&start| chars[start..].starts_with(&close))
						.map_or(chars.len(), |end| end + close.len());
					(expect, pending_mod) = (None, None);
					continue;
				}
				if word == "r" && k == j + 1 && chars.get(k).is_some_and(|&next| starts_word(next))
				{
					let mut end = k;
					while end < chars.len() && continues_word(chars[end]) {
						end += 1;
					}
					(word, j) = (chars[k..end].iter().collect(), end);
				}
			}
			// Byte and C strings (b"..", c"..").
			if matches!(word.as_str(), "b" | "c") && chars.get(j) == Some(&'"') {
				i = skip_string(&chars, j + 1);
				(expect, pending_mod) = (None, None);
				continue;
			}
			i = j;
			match expect.take() {
				Some(Item::Fn) => fns.push((current(&open), word)),
				Some(Item::Mod) => {
					let mut module = current(&open);
					module.push(word.clone());
					modules.push(module);
					pending_mod = Some(word);
				},
				None => {
					expect = match word.as_str() {
						"fn" => Some(Item::Fn),
						"mod" => Some(Item::Mod),
						_ => None,
					};
					pending_mod = None;
				},
			}
			continue;
		}
		if c == '{' {
			if let Some(name) = pending_mod.take() {
				open.push((name, depth));
			}
			depth += 1;
		} else if c == '}' {
			depth = depth.checked_sub(1).ok_or("a `}` closes nothing")?;
			if open.last().is_some_and(|(_, outside)| *outside == depth) {
				open.pop();
			}
		}
		if !c.is_whitespace() {
			(expect, pending_mod) = (None, None);
		}
		i += 1;
	}
	// Unbalanced braces mean the lexer misread the file, and every module after would be wrong.
	if depth != 0 {
		return Err(format!("{depth} braces left open"));
	}
	Ok((fns, modules))
}

/// Whether `c` may start an identifier or keyword (the lexer's notion, Unicode included).
fn starts_word(c: char) -> bool {
	c.is_alphabetic() || c == '_'
}

/// Whether `c` may continue an identifier or keyword.
fn continues_word(c: char) -> bool {
	c.is_alphanumeric() || c == '_'
}

/// The index just past the string whose contents start at `i`.
fn skip_string(chars: &[char], mut i: usize) -> usize {
	while i < chars.len() && chars[i] != '"' {
		i += if chars[i] == '\\' { 2 } else { 1 };
	}
	i + 1
}

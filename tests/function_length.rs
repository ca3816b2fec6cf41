//! Keeps every function in `src/` (tests aside) under [`MAX_LINES`] lines, counted from the
//! signature to the closing brace: a function a reader can hold in view at once.
//!
//! The module tree is walked from `src/lib.rs` and `src/main.rs`, so `#[cfg(test)]` modules, and
//! the files they declare, are left out.

use std::path::{Path, PathBuf};

use syn::spanned::Spanned;
use syn::visit::Visit;

/// The longest a function may be, in lines.
const MAX_LINES: usize = 80;

/// Whether `attrs` hold `#[cfg(test)]`.
fn is_test_only(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("cfg")
            && a.parse_args::<syn::Meta>()
                .is_ok_and(|m| m.path().is_ident("test"))
    })
}

/// One file's functions over the limit, and the module files it declares.
struct Scan<'a> {
    file: &'a str,
    /// Where the file's child modules live (`dir/name.rs` or `dir/name/mod.rs`).
    dir: PathBuf,
    long: Vec<(String, usize)>,
    children: Vec<PathBuf>,
}

impl Scan<'_> {
    fn check(&mut self, sig: &syn::Signature, block: &syn::Block) {
        let (name, from) = (&sig.ident, sig.fn_token.span);
        let lines = block.span().end().line + 1 - from.start().line;
        if lines > MAX_LINES {
            self.long.push((format!("{}::{name}", self.file), lines));
        }
    }
}

impl<'ast> Visit<'ast> for Scan<'_> {
    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        if is_test_only(&f.attrs) {
            return;
        }
        self.check(&f.sig, &f.block);
        syn::visit::visit_item_fn(self, f);
    }

    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        if is_test_only(&f.attrs) {
            return;
        }
        self.check(&f.sig, &f.block);
        syn::visit::visit_impl_item_fn(self, f);
    }

    fn visit_trait_item_fn(&mut self, f: &'ast syn::TraitItemFn) {
        if let Some(block) = &f.default {
            self.check(&f.sig, block);
        }
        syn::visit::visit_trait_item_fn(self, f);
    }

    fn visit_item_impl(&mut self, i: &'ast syn::ItemImpl) {
        if !is_test_only(&i.attrs) {
            syn::visit::visit_item_impl(self, i);
        }
    }

    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        if is_test_only(&m.attrs) {
            return;
        }
        let outer = self.dir.clone();
        self.dir = outer.join(m.ident.to_string());
        match &m.content {
            Some(_) => syn::visit::visit_item_mod(self, m),
            None => {
                let file = self.dir.with_extension("rs");
                let nested = self.dir.join("mod.rs");
                self.children
                    .push(if file.exists() { file } else { nested });
            }
        }
        self.dir = outer;
    }
}

/// Scans `path` and, through its `mod` declarations, the files below it; returns how many files.
fn scan(root: &Path, path: &Path, long: &mut Vec<(String, usize)>) -> usize {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let ast = syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let file = path.strip_prefix(root).unwrap().display().to_string();
    let stem = path.file_stem().unwrap().to_str().unwrap();
    let parent = path.parent().unwrap();
    let dir = match stem {
        "lib" | "main" | "mod" => parent.to_path_buf(),
        _ => parent.join(stem),
    };
    let mut s = Scan {
        file: &file,
        dir,
        long: Vec::new(),
        children: Vec::new(),
    };
    s.visit_file(&ast);
    long.append(&mut s.long);
    1 + s
        .children
        .iter()
        .map(|child| scan(root, child, long))
        .sum::<usize>()
}

/// The functions of `source` over the limit, reported as if it were a file `x.rs`.
fn long_in(source: &str) -> Vec<(String, usize)> {
    let mut s = Scan {
        file: "x.rs",
        dir: PathBuf::new(),
        long: Vec::new(),
        children: Vec::new(),
    };
    s.visit_file(&syn::parse_file(source).unwrap());
    s.long
}

#[test]
fn a_function_is_counted_from_its_signature_to_its_closing_brace() {
    let body = |n: usize| "    let _ = 1;\n".repeat(n);
    // 79 body lines, the signature and the brace: 81 lines.
    let source = format!(
        "/// Doc.\n#[inline]\nfn long() {{\n{}}}\nimpl T {{\n    fn short() {{\n{}    }}\n}}\n#[cfg(test)]\nmod tests {{\n    fn long_test() {{\n{}    }}\n}}\n",
        body(79),
        body(78),
        body(200)
    );
    assert_eq!(long_in(&source), vec![("x.rs::long".to_string(), 81)]);
}

#[test]
fn no_function_in_src_is_over_80_lines() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (mut long, mut files) = (Vec::new(), 0);
    for top in ["src/lib.rs", "src/main.rs"] {
        files += scan(root, &root.join(top), &mut long);
    }
    // The walk must reach the crate's modules, or the check would pass by seeing nothing.
    assert!(files > 100, "the walk reached only {files} files");
    let long: Vec<String> = long
        .iter()
        .map(|(name, n)| format!("{name}: {n} lines"))
        .collect();
    assert!(
        long.is_empty(),
        "functions over {MAX_LINES} lines (split them):\n{}",
        long.join("\n")
    );
}

//! Terraform state (format 4), indexed lazily, and looked up with tfstate-lookup's address
//! grammar.
//!
//! # Why lazy
//!
//! ecspresso (through tfstate-lookup) decodes the whole state into generic values and keeps them,
//! which costs several times the file size in memory and most of the load time on large states,
//! although a deploy typically reads a handful of attributes. Here we keep the file's bytes, scan
//! the document once with borrowed [`RawValue`]s, and remember for every output and resource
//! instance only the *byte range* of its value. Everything else (`private`, `dependencies`,
//! `sensitive_attributes`, check results, ...) is skipped without being materialised (serde's
//! derived deserializers skip unknown fields with [`serde::de::IgnoredAny`]). A value is parsed
//! into a [`serde_json::Value`] only when it is looked up, and recently parsed instances are kept
//! in a small bounded cache, so `.id` then `.arn` of the same instance parse it once.
//!
//! # Index (tfstate-lookup §6.2)
//!
//! - outputs: `output.<name>`, the `{value, type}` wrapper unwrapped;
//! - resources of mode `managed` and `data`: `[<module>.][data.]<type>.<name>`, where the module
//!   is the state's `module` string (`module.a.module.b`, `module.x["k"]`, `module.x[0]`);
//! - an instance without `index_key` sits at the base key, others at `base[0]` (count) or
//!   `base["k"]` (for_each), using `attributes`, else `attributes_flat` (flatmap is not
//!   re-nested, as in tfstate-lookup);
//! - `data.terraform_remote_state.<name>`: the `outputs` attribute is unwrapped, so
//!   `.outputs.<name>` reaches the remote output's value;
//! - *parent keys*: the base key of a count / for_each resource returns an array (ordered by
//!   index, gaps null) or an object. They answer exact lookups only and are not listed.
//!
//! Deposed instances (`"deposed": "<id>"`, objects `create_before_destroy` is about to destroy)
//! are skipped: they share the `index_key` of the current object and are not what users mean.
//!
//! # Lookup (tfstate-lookup §6.3)
//!
//! Exact match (instances, then parent keys), else the longest indexed prefix of whole
//! segments, the rest being an attribute path (`.tags.Name`, `[0]`, `[-1]`, `["k"]`). A missing
//! attribute or an index out of range is [`TfstateError::NotFound`], never `null`; an attribute
//! whose stored value is `null` is returned as `Value::Null` and left to the caller.

pub(crate) mod address;

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use serde::Deserialize;
use serde::de::{self, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

pub use address::format_address;
use address::{Address, Segment};

/// Everything that can go wrong reading or querying a state.
#[derive(Debug, thiserror::Error)]
pub enum TfstateError {
    /// No value at that address.
    #[error("{address} is not found in tfstate {source_name}{}", hint_suffix(.hints))]
    NotFound {
        /// The address as the caller gave it.
        address: String,
        /// Where the state came from.
        source_name: String,
        /// The closest existing addresses, best first (may be empty).
        hints: Vec<String>,
    },
    /// The `version` is not 4.
    #[error(
        "unsupported state version {version} in {source_name}: ecspress reads Terraform state format 4"
    )]
    UnsupportedVersion {
        /// Where the state came from.
        source_name: String,
        /// The `version` found.
        version: u64,
    },
    /// The bytes are not JSON, or not shaped like a state.
    #[error("invalid tfstate {source_name} at line {line} column {column}: {message}")]
    Parse {
        /// Where the state came from.
        source_name: String,
        /// 1-based line.
        line: usize,
        /// 1-based column (bytes).
        column: usize,
        /// What the JSON parser said.
        message: String,
    },
    /// The address does not follow the grammar.
    #[error("invalid tfstate address {address:?}: {message}")]
    InvalidAddress {
        /// The address as the caller gave it.
        address: String,
        /// What is wrong with it.
        message: String,
    },
    /// `tfstatef` could not format its address.
    #[error("tfstatef format {format:?}: {message}")]
    Format {
        /// The format string.
        format: String,
        /// What is wrong.
        message: String,
    },
    /// Valid JSON, but not a Terraform state (no `version`).
    #[error("{source_name} is not a Terraform state: {message}")]
    NotAState {
        /// Where the document came from.
        source_name: String,
        /// Why.
        message: String,
    },
    /// A `.terraform/terraform.tfstate` backend pointer was given where a state was expected.
    #[error(
        "{source_name} is a Terraform backend pointer (backend type {backend_type}), not a state; \
         it must be read through the tfstate source, which follows it"
    )]
    BackendPointer {
        /// Where the document came from.
        source_name: String,
        /// The backend `type`.
        backend_type: String,
    },
}

fn hint_suffix(hints: &[String]) -> String {
    if hints.is_empty() {
        String::new()
    } else {
        format!("; did you mean: {}", hints.join(", "))
    }
}

/// The `backend` block of a `.terraform/terraform.tfstate` pointer file.
#[derive(Debug, Clone, PartialEq)]
pub struct BackendPointer {
    /// `s3`, `gcs`, `remote`, ...
    pub backend_type: String,
    /// The backend's `config` object (values may be `null` for unset settings).
    pub config: Map<String, Value>,
}

impl BackendPointer {
    /// A config setting that is a non-empty string.
    pub fn config_str(&self, key: &str) -> Option<&str> {
        self.config
            .get(key)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    }
}

/// What a JSON document read as a state turned out to be.
#[derive(Debug)]
pub enum StateDocument {
    /// A state (format 4).
    State(TfState),
    /// A backend pointer that names where the state really is.
    Backend(BackendPointer),
}

/// Parsed instances kept for repeated lookups: templates usually read several attributes of one
/// instance in a row (`.id`, `.arn`), and a big instance (a remote state's outputs) is worth not
/// parsing twice. Kept small on purpose: a parsed `Value` takes several times its text, and for
/// typical 1–5 KB instances re-parsing costs microseconds, so a large cache would only add RSS.
/// When a bound would be crossed the cache is emptied (cheap, and bounded either way).
const CACHE_MAX_ENTRIES: usize = 64;
/// Bound on the summed source text of cached instances.
const CACHE_MAX_BYTES: usize = 4 << 20;
/// Instances larger than this are parsed on every lookup rather than cached.
const CACHE_MAX_ENTRY_BYTES: usize = 1 << 20;
/// Address hints must be at least this similar (normalised Levenshtein) to the typed address.
const ADDRESS_HINT_MIN: f64 = 0.7;
/// Attribute-name hints must be at least this similar to the typed attribute.
const KEY_HINT_MIN: f64 = 0.6;
/// How many hints to offer.
const MAX_HINTS: usize = 3;
/// How many of the closest outputs / resources have their instances ranked for hints.
const HINT_GROUPS: usize = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EntryKind {
    /// The byte range is the value.
    Plain,
    /// The byte range is a `terraform_remote_state` instance's attributes; unwrap `outputs`.
    RemoteState,
    /// The instance had neither `attributes` nor `attributes_flat`.
    Null,
}

#[derive(Debug)]
struct Entry {
    address: Box<str>,
    /// Number of address segments (for comparing like with like when ranking hints).
    segments: usize,
    start: usize,
    end: usize,
    kind: EntryKind,
}

#[derive(Debug)]
enum Members {
    /// count: `(index, entry)`.
    Count(Vec<(i64, u32)>),
    /// for_each: `(key, entry)`.
    ForEach(Vec<(String, u32)>),
}

#[derive(Debug)]
struct Parent {
    address: Box<str>,
    members: Members,
}

/// One output or one resource with its instances (a contiguous run of `entries`), for ranking
/// hints resource-first: a state with 40k instances typically has a few thousand resources.
#[derive(Debug)]
struct Group {
    /// The output address, or the resource's base address.
    address: Box<str>,
    segments: usize,
    /// `entries[first..first + len]` are its instances.
    first: u32,
    len: u32,
    /// The base address is a parent key (count / for_each).
    is_parent: bool,
}

#[derive(Default)]
struct Cache {
    values: HashMap<u32, Arc<Value>>,
    bytes: usize,
}

/// A Terraform state, indexed by address. Cheap to share (`Send + Sync`).
pub struct TfState {
    source_name: String,
    /// The document as read; entries point into it.
    bytes: Vec<u8>,
    /// Instance-level entries in state order (outputs, then resources as they appear).
    entries: Vec<Entry>,
    /// Indexes into `entries`, sorted by address (stable: the first of duplicates wins).
    sorted: Vec<u32>,
    /// Parent keys, sorted by address.
    parents: Vec<Parent>,
    /// Outputs and resources in state order.
    groups: Vec<Group>,
    cache: Mutex<Cache>,
}

impl fmt::Debug for TfState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TfState")
            .field("source_name", &self.source_name)
            .field("bytes", &self.bytes.len())
            .field("entries", &self.entries.len())
            .field("parents", &self.parents.len())
            .finish()
    }
}

impl TfState {
    /// Read a state document. A backend pointer is an error here
    /// ([`TfstateError::BackendPointer`]); use [`TfState::parse_document`] to follow it.
    pub fn from_bytes(bytes: Vec<u8>, source_name: &str) -> Result<TfState, TfstateError> {
        match TfState::parse_document(bytes, source_name)? {
            StateDocument::State(state) => Ok(state),
            StateDocument::Backend(b) => Err(TfstateError::BackendPointer {
                source_name: source_name.to_owned(),
                backend_type: b.backend_type,
            }),
        }
    }

    /// Read a document that is either a state (format 4) or a backend pointer.
    pub fn parse_document(
        bytes: Vec<u8>,
        source_name: &str,
    ) -> Result<StateDocument, TfstateError> {
        let (entries, parents, groups) = {
            let mut de = serde_json::Deserializer::from_slice(&bytes);
            let top = TopLevel::deserialize(&mut de)
                .and_then(|top| de.end().map(|()| top))
                .map_err(|e| not_json_hint(parse_error(e, &bytes, 0, source_name), &bytes))?;
            // Pointer files carry their own (older) `version`; the backend block decides.
            if let Some(b) = top.backend {
                return Ok(StateDocument::Backend(BackendPointer {
                    backend_type: b.backend_type,
                    config: b.config.unwrap_or_default(),
                }));
            }
            match top.version {
                Some(4) => {}
                Some(version) => {
                    return Err(TfstateError::UnsupportedVersion {
                        source_name: source_name.to_owned(),
                        version,
                    });
                }
                None => {
                    return Err(TfstateError::NotAState {
                        source_name: source_name.to_owned(),
                        message: "it has no \"version\" field".into(),
                    });
                }
            }
            let mut builder = Builder {
                base: &bytes,
                source_name,
                entries: Vec::new(),
                parents: Vec::new(),
                groups: Vec::new(),
            };
            if let Some(outputs) = top.outputs {
                builder.add_outputs(outputs)?;
            }
            match top.resources {
                Resources::Absent => {}
                Resources::Parsed(list) => builder.add_resources(list)?,
                Resources::Deferred(raw) => {
                    let list: Option<Vec<RawResource<'_>>> = parse_raw(&bytes, raw, source_name)?;
                    builder.add_resources(list.unwrap_or_default())?;
                }
            }
            (builder.entries, builder.parents, builder.groups)
        };
        let mut sorted: Vec<u32> = (0..entries.len())
            .map(|i| u32::try_from(i).unwrap_or(u32::MAX))
            .collect();
        sorted.sort_by(|&a, &b| {
            entries[a as usize]
                .address
                .cmp(&entries[b as usize].address)
        });
        let mut parents = parents;
        parents.sort_by(|a, b| a.address.cmp(&b.address));
        parents.dedup_by(|later, first| later.address == first.address);
        Ok(StateDocument::State(TfState {
            source_name: source_name.to_owned(),
            bytes,
            entries,
            sorted,
            parents,
            groups,
            cache: Mutex::new(Cache::default()),
        }))
    }

    /// A state with nothing in it (an optional state that could not be read).
    pub fn empty(source_name: &str) -> TfState {
        TfState {
            source_name: source_name.to_owned(),
            bytes: Vec::new(),
            entries: Vec::new(),
            sorted: Vec::new(),
            parents: Vec::new(),
            groups: Vec::new(),
            cache: Mutex::new(Cache::default()),
        }
    }

    /// Where the state came from (path or URL), for messages.
    pub fn source_name(&self) -> &str {
        &self.source_name
    }

    /// Every instance-level address (outputs, resources, data sources, each indexed instance),
    /// in state order. Parent keys are not included (as in tfstate-lookup's `List`).
    pub fn list(&self) -> Vec<String> {
        self.entries.iter().map(|e| e.address.to_string()).collect()
    }

    /// Look up an address. See the module docs for the grammar.
    pub fn lookup(&self, address: &str) -> Result<Value, TfstateError> {
        let addr = Address::parse(address)?;
        let n = addr.segments.len();
        if let Some(idx) = self.find_entry(&addr.canonical) {
            return Ok(Value::clone(&*self.entry_value(idx)?));
        }
        if let Some(parent) = self.find_parent(&addr.canonical) {
            return self.parent_value(parent);
        }
        // Longest prefix of whole segments; the rest is an attribute path. Parent keys take part
        // in exact matches only, as in tfstate-lookup.
        for k in (1..n).rev() {
            let Some(idx) = self.find_entry(addr.prefix(k)) else {
                continue;
            };
            let value = self.entry_value(idx)?;
            return match walk(&value, &addr.segments[k..]) {
                Ok(found) => Ok(found.clone()),
                Err((failed, container)) => {
                    let at = k + failed;
                    Err(self.not_found(
                        address,
                        hints_in_value(&addr, at, &addr.segments[at], container),
                    ))
                }
            };
        }
        Err(self.not_found(address, self.address_hints(&addr)))
    }

    fn not_found(&self, address: &str, hints: Vec<String>) -> TfstateError {
        TfstateError::NotFound {
            address: address.to_owned(),
            source_name: self.source_name.clone(),
            hints,
        }
    }

    fn find_entry(&self, address: &str) -> Option<u32> {
        let i = self
            .sorted
            .partition_point(|&e| &*self.entries[e as usize].address < address);
        self.sorted
            .get(i)
            .copied()
            .filter(|&e| &*self.entries[e as usize].address == address)
    }

    fn find_parent(&self, address: &str) -> Option<&Parent> {
        self.parents
            .binary_search_by(|p| (*p.address).cmp(address))
            .ok()
            .map(|i| &self.parents[i])
    }

    /// The parsed value of an entry, from the cache or freshly parsed from its byte range.
    fn entry_value(&self, idx: u32) -> Result<Arc<Value>, TfstateError> {
        if let Some(v) = self.lock_cache().values.get(&idx) {
            return Ok(Arc::clone(v));
        }
        let entry = &self.entries[idx as usize];
        let len = entry.end - entry.start;
        let value = match entry.kind {
            EntryKind::Null => Value::Null,
            EntryKind::Plain | EntryKind::RemoteState => {
                let v: Value = serde_json::from_slice(&self.bytes[entry.start..entry.end])
                    .map_err(|e| parse_error(e, &self.bytes, entry.start, &self.source_name))?;
                if entry.kind == EntryKind::RemoteState {
                    unwrap_remote_outputs(v)
                } else {
                    v
                }
            }
        };
        let value = Arc::new(value);
        if len <= CACHE_MAX_ENTRY_BYTES {
            let mut cache = self.lock_cache();
            if cache.bytes + len > CACHE_MAX_BYTES || cache.values.len() >= CACHE_MAX_ENTRIES {
                cache.values.clear();
                cache.bytes = 0;
            }
            if cache.values.insert(idx, Arc::clone(&value)).is_none() {
                cache.bytes += len;
            }
        }
        Ok(value)
    }

    fn lock_cache(&self) -> std::sync::MutexGuard<'_, Cache> {
        // The cache holds no invariants a panicking holder could break; keep using it.
        self.cache.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// tfstate-lookup ≥ 1.7.0: count → array by index (gaps null), for_each → object.
    fn parent_value(&self, parent: &Parent) -> Result<Value, TfstateError> {
        match &parent.members {
            Members::Count(members) => {
                // Terraform's count indexes are dense (0..n); gaps only appear in hand-edited or
                // partially applied states. Bound the array so a stray huge index cannot make us
                // allocate gigabytes of nulls; such an instance stays reachable as `base[i]`.
                let limit = members.len().saturating_mul(10).saturating_add(1000);
                let index = |i: i64| usize::try_from(i).ok().filter(|&i| i < limit);
                let len = members
                    .iter()
                    .filter_map(|&(i, _)| index(i))
                    .map(|i| i + 1)
                    .max()
                    .unwrap_or(0);
                let mut out = vec![Value::Null; len];
                for &(i, idx) in members {
                    if let Some(i) = index(i) {
                        out[i] = Value::clone(&*self.entry_value(idx)?);
                    }
                }
                Ok(Value::Array(out))
            }
            Members::ForEach(members) => {
                let mut out = Map::new();
                for (key, idx) in members {
                    out.insert(key.clone(), Value::clone(&*self.entry_value(*idx)?));
                }
                Ok(Value::Object(out))
            }
        }
    }

    /// The closest listed or parent addresses to an address that matched nothing.
    ///
    /// Each address is compared with the typed address cut to the same number of segments (the
    /// rest may be an attribute path), so `data.x.xxxx.account_id` is compared as `data.x.xxxx`
    /// with `data.x.current`. Parent keys answer exact lookups only, so they are compared with
    /// the whole address. Ranking is two-stage to stay cheap on large states: first outputs and
    /// resource base addresses, then the instances of the closest few resources.
    fn address_hints(&self, addr: &Address) -> Vec<String> {
        let n = addr.segments.len();
        let mut groups: Vec<(f64, &Group)> = self
            .groups
            .iter()
            .filter_map(|g| {
                let score =
                    similarity(addr.prefix(g.segments.min(n)), &g.address, ADDRESS_HINT_MIN)?;
                Some((score, g))
            })
            .collect();
        groups.sort_by(|a, b| {
            b.0.total_cmp(&a.0)
                .then_with(|| a.1.address.cmp(&b.1.address))
        });
        groups.truncate(HINT_GROUPS);

        let mut scored = Vec::new();
        for (_, g) in groups {
            if g.is_parent
                && let Some(score) = similarity(&addr.canonical, &g.address, ADDRESS_HINT_MIN)
            {
                scored.push((score, g.address.to_string()));
            }
            let first = g.first as usize;
            for e in self.entries.iter().skip(first).take(g.len as usize) {
                if let Some(score) =
                    similarity(addr.prefix(e.segments.min(n)), &e.address, ADDRESS_HINT_MIN)
                {
                    scored.push((score, e.address.to_string()));
                }
            }
        }
        best(scored)
    }
}

/// Walk an attribute path. On a miss, the index of the failing segment and the value it was
/// applied to.
fn walk<'v>(value: &'v Value, path: &[Segment]) -> Result<&'v Value, (usize, &'v Value)> {
    let mut cur = value;
    for (i, seg) in path.iter().enumerate() {
        let next = match (seg, cur) {
            (Segment::Name(k) | Segment::Key(k), Value::Object(m)) => m.get(k),
            (Segment::Index(ix), Value::Array(items)) => {
                // jq semantics, as tfstate-lookup evaluates with gojq: [-1] is the last element.
                let len = i64::try_from(items.len()).unwrap_or(i64::MAX);
                let ix = if *ix < 0 { len + ix } else { *ix };
                usize::try_from(ix).ok().and_then(|ix| items.get(ix))
            }
            _ => None,
        };
        cur = next.ok_or((i, cur))?;
    }
    Ok(cur)
}

/// Hints for a miss inside a value: similar member names, or the valid index range.
fn hints_in_value(addr: &Address, at: usize, failed: &Segment, container: &Value) -> Vec<String> {
    let base = addr.prefix(at);
    match (failed, container) {
        (Segment::Name(k) | Segment::Key(k), Value::Object(m)) => {
            // Rank by the member name alone: the shared prefix would make everything look close.
            let scored = m
                .keys()
                .filter_map(|member| {
                    similarity(k, member, KEY_HINT_MIN).map(|score| {
                        let mut full = base.to_owned();
                        if address::is_plain_name(member) {
                            full.push('.');
                            full.push_str(member);
                        } else {
                            address::push_segment(&mut full, &Segment::Key(member.clone()));
                        }
                        (score, full)
                    })
                })
                .collect();
            best(scored)
        }
        (Segment::Index(_), Value::Array(items)) if !items.is_empty() => {
            let mut hints = vec![format!("{base}[0]")];
            if items.len() > 1 {
                hints.push(format!("{base}[{}]", items.len() - 1));
            }
            hints
        }
        _ => Vec::new(),
    }
}

/// Normalised Levenshtein similarity of `typed` and `candidate` when at least `min`.
fn similarity(typed: &str, candidate: &str, min: f64) -> Option<f64> {
    // The distance is at least the length difference: skip hopeless pairs without the O(n·m)
    // computation.
    let (lt, lc) = (
        typed.chars().count() as f64,
        candidate.chars().count() as f64,
    );
    let longest = lt.max(lc);
    if longest > 0.0 && 1.0 - (lt - lc).abs() / longest < min {
        return None;
    }
    let score = strsim::normalized_levenshtein(typed, candidate);
    (score >= min).then_some(score)
}

fn best(mut scored: Vec<(f64, String)>) -> Vec<String> {
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    let mut out: Vec<String> = Vec::new();
    for (_, cand) in scored {
        if !out.contains(&cand) {
            out.push(cand);
        }
        if out.len() == MAX_HINTS {
            break;
        }
    }
    out
}

/// `terraform_remote_state` stores `outputs` as one `{value, type}` wrapper (Terraform ≥ 0.12);
/// older data had a map of per-output wrappers. tfstate-lookup unwraps both so that
/// `.outputs.<name>` is the output's value.
fn unwrap_remote_outputs(mut attrs: Value) -> Value {
    let Some(outputs) = attrs.get_mut("outputs") else {
        return attrs;
    };
    if is_value_wrapper(outputs) {
        if let Some(v) = outputs.get_mut("value").map(Value::take) {
            *outputs = v;
        }
    } else if let Value::Object(members) = outputs
        && !members.is_empty()
        && members.values().all(is_value_wrapper)
    {
        for member in members.values_mut() {
            if let Some(v) = member.get_mut("value").map(Value::take) {
                *member = v;
            }
        }
    }
    attrs
}

/// `{"value": …, "type": <type expression>}` (and optionally `sensitive`), nothing else.
fn is_value_wrapper(v: &Value) -> bool {
    let Value::Object(m) = v else {
        return false;
    };
    m.contains_key("value")
        && m.keys()
            .all(|k| matches!(k.as_str(), "value" | "type" | "sensitive"))
        && m.get("type")
            .is_none_or(|t| matches!(t, Value::String(_) | Value::Array(_)))
}

// ---------------------------------------------------------------------------------------------
// The one borrowed scan over the document.

#[derive(Deserialize)]
struct RawBackend {
    #[serde(rename = "type")]
    backend_type: String,
    #[serde(default)]
    config: Option<Map<String, Value>>,
}

#[derive(Deserialize)]
struct RawResource<'a> {
    #[serde(default)]
    module: Option<String>,
    #[serde(default)]
    mode: Option<String>,
    #[serde(rename = "type", default)]
    resource_type: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(borrow, default)]
    instances: Option<Vec<RawInstance<'a>>>,
}

#[derive(Deserialize)]
struct RawInstance<'a> {
    #[serde(borrow, default)]
    index_key: Option<&'a RawValue>,
    #[serde(borrow, default)]
    attributes: Option<&'a RawValue>,
    #[serde(borrow, default)]
    attributes_flat: Option<&'a RawValue>,
    #[serde(default)]
    deposed: Option<IgnoredAny>,
}

enum Resources<'a> {
    Absent,
    /// Parsed during the scan (the `version` came first, as Terraform writes it).
    Parsed(Vec<RawResource<'a>>),
    /// Captured before the `version` was known; parsed once it is known to be 4.
    Deferred(&'a RawValue),
}

struct TopLevel<'a> {
    version: Option<u64>,
    backend: Option<RawBackend>,
    outputs: Option<&'a RawValue>,
    resources: Resources<'a>,
}

impl<'de> Deserialize<'de> for TopLevel<'de> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(TopVisitor)
    }
}

struct TopVisitor;

impl<'de> Visitor<'de> for TopVisitor {
    type Value = TopLevel<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Terraform state object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut top = TopLevel {
            version: None,
            backend: None,
            outputs: None,
            resources: Resources::Absent,
        };
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "version" => top.version = Some(map.next_value()?),
                "backend" => top.backend = map.next_value()?,
                "outputs" => top.outputs = map.next_value()?,
                "resources" => {
                    let skip = top.backend.is_some() || top.version.is_some_and(|v| v != 4);
                    top.resources = if skip {
                        map.next_value::<IgnoredAny>()?;
                        Resources::Absent
                    } else if top.version == Some(4) {
                        map.next_value::<Option<Vec<RawResource<'de>>>>()?
                            .map_or(Resources::Absent, Resources::Parsed)
                    } else {
                        map.next_value::<Option<&'de RawValue>>()?
                            .map_or(Resources::Absent, Resources::Deferred)
                    };
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(top)
    }
}

/// A JSON object's members in document order, values left raw.
struct RawMembers<'a>(Vec<(String, &'a RawValue)>);

impl<'de> Deserialize<'de> for RawMembers<'de> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawMembers<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut members = Vec::new();
                while let Some(entry) = map.next_entry::<String, &'de RawValue>()? {
                    members.push(entry);
                }
                Ok(RawMembers(members))
            }
        }
        d.deserialize_map(V)
    }
}

struct Builder<'b> {
    base: &'b [u8],
    source_name: &'b str,
    entries: Vec<Entry>,
    parents: Vec<Parent>,
    groups: Vec<Group>,
}

impl<'b> Builder<'b> {
    fn add_outputs(&mut self, raw: &'b RawValue) -> Result<(), TfstateError> {
        let Some(RawMembers(outputs)) =
            parse_raw::<Option<RawMembers<'b>>>(self.base, raw, self.source_name)?
        else {
            return Ok(());
        };
        for (name, raw) in outputs {
            // Outputs are `{"value": …, "type": …, "sensitive": …}`; index the value itself.
            let value = if raw.get().starts_with('{') {
                let RawMembers(members) = parse_raw(self.base, raw, self.source_name)?;
                members
                    .into_iter()
                    .find(|(k, _)| k == "value")
                    .map_or(raw, |(_, v)| v)
            } else {
                raw
            };
            // Terraform output names are identifiers; any other name (only a hand-edited state
            // has one) is spelt as a key, `output["a.b"]`, so the listed address looks up.
            let seg = if address::is_plain_name(&name) {
                Segment::Name(name)
            } else {
                Segment::Key(name)
            };
            let addr = Address::from_segments(vec![Segment::Name("output".into()), seg]);
            let idx = self.push(
                addr.canonical.clone(),
                addr.segments.len(),
                Some(value),
                EntryKind::Plain,
            )?;
            self.groups.push(Group {
                address: addr.canonical.into_boxed_str(),
                segments: addr.segments.len(),
                first: idx,
                len: 1,
                is_parent: false,
            });
        }
        Ok(())
    }

    fn add_resources(&mut self, resources: Vec<RawResource<'b>>) -> Result<(), TfstateError> {
        for r in resources {
            let (Some(mode), Some(rtype), Some(name)) = (r.mode, r.resource_type, r.name) else {
                continue;
            };
            let is_data = match mode.as_str() {
                "managed" => false,
                "data" => true,
                _ => continue,
            };
            let kind = if is_data && rtype == "terraform_remote_state" {
                EntryKind::RemoteState
            } else {
                EntryKind::Plain
            };
            let mut segments = match r.module.as_deref() {
                None | Some("") => Vec::new(),
                // The module path is written in the address syntax; canonicalise it like typed
                // addresses so `module.x["k"]` meets `module.x['k']`.
                Some(m) => {
                    address::parse_segments(m).unwrap_or_else(|_| vec![Segment::Name(m.to_owned())])
                }
            };
            if is_data {
                segments.push(Segment::Name("data".into()));
            }
            segments.push(Segment::Name(rtype));
            segments.push(Segment::Name(name));
            // Resource types, names and module names are identifiers in Terraform. A state that
            // has another one (hand-edited; found by fuzzing: a type `aws_s[curity_group`)
            // would list an address that no typed address can reach: leave it out, like the
            // resources without a mode, type or name above.
            if !segments.iter().all(|seg| match seg {
                Segment::Name(n) => address::is_plain_name(n),
                Segment::Key(_) | Segment::Index(_) => true,
            }) {
                continue;
            }
            let base = Address::from_segments(segments);
            let base_segments = base.segments.len();

            let first = self.next_index()?;
            let mut count: Vec<(i64, u32)> = Vec::new();
            let mut for_each: Vec<(String, u32)> = Vec::new();
            for inst in r.instances.unwrap_or_default() {
                if inst.deposed.is_some() {
                    continue;
                }
                let attrs = inst.attributes.or(inst.attributes_flat);
                let Some(key_raw) = inst.index_key else {
                    self.push(base.canonical.clone(), base_segments, attrs, kind)?;
                    continue;
                };
                let key: Value = parse_raw(self.base, key_raw, self.source_name)?;
                let seg = match key {
                    Value::Number(n) => match n.as_i64() {
                        Some(i) => Segment::Index(i),
                        None => continue,
                    },
                    Value::String(s) => Segment::Key(s),
                    _ => continue,
                };
                let mut address = base.canonical.clone();
                address::push_segment(&mut address, &seg);
                let idx = self.push(address, base_segments + 1, attrs, kind)?;
                match seg {
                    Segment::Index(i) if for_each.is_empty() => count.push((i, idx)),
                    Segment::Key(k) if count.is_empty() => for_each.push((k, idx)),
                    _ => {}
                }
            }
            let members = if !count.is_empty() {
                Some(Members::Count(count))
            } else if !for_each.is_empty() {
                Some(Members::ForEach(for_each))
            } else {
                None
            };
            let len = self.next_index()? - first;
            if len == 0 && members.is_none() {
                continue;
            }
            self.groups.push(Group {
                address: base.canonical.clone().into_boxed_str(),
                segments: base_segments,
                first,
                len,
                is_parent: members.is_some(),
            });
            if let Some(members) = members {
                self.parents.push(Parent {
                    address: base.canonical.into_boxed_str(),
                    members,
                });
            }
        }
        Ok(())
    }

    /// The index the next pushed entry gets.
    fn next_index(&self) -> Result<u32, TfstateError> {
        u32::try_from(self.entries.len()).map_err(|_| TfstateError::NotAState {
            source_name: self.source_name.to_owned(),
            message: "more than 4 billion instances".into(),
        })
    }

    fn push(
        &mut self,
        address: String,
        segments: usize,
        raw: Option<&'b RawValue>,
        kind: EntryKind,
    ) -> Result<u32, TfstateError> {
        let idx = self.next_index()?;
        let (start, end, kind) = match raw {
            Some(raw) => {
                let (start, end) = range_of(self.base, raw).ok_or_else(|| TfstateError::Parse {
                    source_name: self.source_name.to_owned(),
                    line: 0,
                    column: 0,
                    message: "internal error: a borrowed value lies outside the document".into(),
                })?;
                (start, end, kind)
            }
            None => (0, 0, EntryKind::Null),
        };
        self.entries.push(Entry {
            address: address.into_boxed_str(),
            segments,
            start,
            end,
            kind,
        });
        Ok(idx)
    }
}

/// Byte range of a borrowed raw value inside the document it was parsed from.
fn range_of(base: &[u8], raw: &RawValue) -> Option<(usize, usize)> {
    let text = raw.get();
    let start = (text.as_ptr() as usize).checked_sub(base.as_ptr() as usize)?;
    let end = start.checked_add(text.len())?;
    (end <= base.len()).then_some((start, end))
}

/// Parse a raw value captured from `base`, reporting errors at document positions.
fn parse_raw<'a, T: Deserialize<'a>>(
    base: &'a [u8],
    raw: &'a RawValue,
    source_name: &str,
) -> Result<T, TfstateError> {
    serde_json::from_str(raw.get()).map_err(|e| {
        let offset = range_of(base, raw).map_or(0, |(start, _)| start);
        parse_error(e, base, offset, source_name)
    })
}

/// A serde_json error in text that starts at byte `offset` of `base`, as a document position.
/// A document that does not even start like a JSON object (a plan, HCL, an empty file, a
/// binary) gets a hint on where states come from, besides serde's position.
fn not_json_hint(err: TfstateError, bytes: &[u8]) -> TfstateError {
    match err {
        TfstateError::Parse {
            source_name,
            line,
            column,
            message,
        } if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') => {
            TfstateError::Parse {
                source_name,
                line,
                column,
                message: format!(
                    "{message} (a Terraform state is a JSON object; `terraform state pull` \
                     prints the current one)"
                ),
            }
        }
        other => other,
    }
}

fn parse_error(
    e: serde_json::Error,
    base: &[u8],
    offset: usize,
    source_name: &str,
) -> TfstateError {
    let (line, column) = if e.line() == 0 {
        (0, 0)
    } else {
        let before = &base[..offset.min(base.len())];
        let base_line = 1 + before.iter().filter(|&&b| b == b'\n').count();
        let base_col = 1 + before.iter().rev().take_while(|&&b| b != b'\n').count();
        if e.line() == 1 {
            (base_line, base_col - 1 + e.column())
        } else {
            (base_line + e.line() - 1, e.column())
        }
    };
    // serde_json's Display appends " at line L column C"; we report the position separately.
    let mut message = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    if let Some(stripped) = message.strip_suffix(&suffix) {
        message = stripped.to_owned();
    }
    TfstateError::Parse {
        source_name: source_name.to_owned(),
        line,
        column,
        message,
    }
}

#[cfg(test)]
mod tests;

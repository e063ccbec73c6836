//! `emrest-codegen`: write, check and list the generated client of a spec.

use std::process::ExitCode;

const USAGE: &str = "\
usage:
  emrest-codegen generate SPEC -o FILE   write the generated client as formatted Rust
  emrest-codegen check SPEC FILE         exit 1 when FILE is not what SPEC generates
  emrest-codegen methods SPEC            one tab-separated line per operation:
                                         type rel method verb path request response mode
  emrest-codegen validate SPEC           only check the spec
  emrest-codegen stats SPEC [RUNS]       counts, generated lines, and the median time of
                                         parse + check + emit (what the macro does) over RUNS
  emrest-codegen import-xsd SCHEMA.xsd [--types A,B]
                                         print [types.*] / [enums.*] TOML for the schema's
                                         complex types (all by default); constructs it does not
                                         represent are reported on stderr with their line
  emrest-codegen import-xsd SCHEMA.xsd --complete SPEC [--keep-optional T.F,*.F]
                                         [--require-references] [--deviations FILE.md]
                                         print SPEC completed from the schema: missing fields
                                         inserted in schema order, `optional` as the schema
                                         says (except the fields named, and strings and nested
                                         types unless --require-references; differences the
                                         table of FILE.md lists are left), needed types
                                         appended";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match run(&args) {
        Ok(code) => code,
        Err(msg) => {
            eprintln!("{msg}");
            ExitCode::from(2)
        }
    }
}

fn load(spec: &str) -> Result<emrest_codegen::Ir, ExitCode> {
    emrest_codegen::load_path(spec).map_err(|d| {
        eprintln!("{d}");
        ExitCode::from(1)
    })
}

fn run(args: &[&str]) -> Result<ExitCode, String> {
    let opts = emrest_codegen::EmitOptions::default();
    match args {
        ["generate", spec, "-o", file] | ["generate", spec, "--output", file] => {
            let ir = match load(spec) {
                Ok(ir) => ir,
                Err(code) => return Ok(code),
            };
            let code = emrest_codegen::generate_file(&ir, &opts);
            std::fs::write(file, code).map_err(|e| format!("cannot write {file}: {e}"))?;
            Ok(ExitCode::SUCCESS)
        }
        ["check", spec, file] => {
            let ir = match load(spec) {
                Ok(ir) => ir,
                Err(code) => return Ok(code),
            };
            let want = emrest_codegen::generate_file(&ir, &opts);
            let have =
                std::fs::read_to_string(file).map_err(|e| format!("cannot read {file}: {e}"))?;
            if have == want {
                Ok(ExitCode::SUCCESS)
            } else {
                eprintln!("{file} is stale: regenerate it with `emrest-codegen generate {spec} -o {file}`");
                Ok(ExitCode::from(1))
            }
        }
        ["methods", spec] => {
            let ir = match load(spec) {
                Ok(ir) => ir,
                Err(code) => return Ok(code),
            };
            print!("{}", emrest_codegen::methods_table(&ir));
            Ok(ExitCode::SUCCESS)
        }
        ["validate", spec] => match load(spec) {
            Ok(ir) => {
                let ops: usize = ir.types.iter().map(|t| t.ops.len()).sum();
                println!(
                    "{spec}: ok ({} types, {} enums, {ops} operations)",
                    ir.types.len(),
                    ir.enums.len()
                );
                Ok(ExitCode::SUCCESS)
            }
            Err(code) => Ok(code),
        },
        ["stats", spec, rest @ ..] => {
            let runs: usize = match rest {
                [] => 20,
                [n] => n
                    .parse()
                    .map_err(|_| format!("RUNS must be a number, not `{n}`"))?,
                _ => return Err(USAGE.to_string()),
            };
            let src =
                std::fs::read_to_string(spec).map_err(|e| format!("cannot read {spec}: {e}"))?;
            let ir = match load(spec) {
                Ok(ir) => ir,
                Err(code) => return Ok(code),
            };
            let mut times = Vec::with_capacity(runs.max(1));
            for _ in 0..runs.max(1) {
                let t = std::time::Instant::now();
                let ir = emrest_codegen::load_str(&src, spec).map_err(|d| d.to_string())?;
                let tokens = emrest_codegen::generate(&ir, &opts);
                std::hint::black_box(tokens.to_string().len());
                times.push(t.elapsed());
            }
            times.sort();
            let median = times[times.len() / 2];
            let lines = emrest_codegen::generate_file(&ir, &opts).lines().count();
            let ops: usize = ir.types.iter().map(|t| t.ops.len()).sum();
            println!("types\t{}", ir.types.len());
            println!("enums\t{}", ir.enums.len());
            println!("operations\t{ops}");
            println!("generated_lines\t{lines}");
            println!(
                "expand_median_ms\t{:.2}\t(over {} runs)",
                median.as_secs_f64() * 1000.0,
                times.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        ["import-xsd", schema, "--complete", spec, rest @ ..] => {
            let mut policy = emrest_codegen::xsd::complete::Policy::default();
            let mut deviations: Option<String> = None;
            let mut rest = rest;
            loop {
                match rest {
                    [] => break,
                    ["--keep-optional", list, more @ ..] => {
                        policy.keep_optional =
                            list.split(',').map(|s| s.trim().to_string()).collect();
                        rest = more;
                    }
                    ["--require-references", more @ ..] => {
                        policy.require_references = true;
                        rest = more;
                    }
                    ["--deviations", md, more @ ..] => {
                        deviations = Some(md.to_string());
                        rest = more;
                    }
                    _ => return Err(USAGE.to_string()),
                }
            }
            let xsd = std::fs::read_to_string(schema)
                .map_err(|e| format!("cannot read {schema}: {e}"))?;
            let parsed = emrest_codegen::xsd::parse_schema(&xsd)
                .map_err(|n| format!("{schema}:{}: {}", n.line, n.message))?;
            let src =
                std::fs::read_to_string(spec).map_err(|e| format!("cannot read {spec}: {e}"))?;
            let file: emrest_codegen::spec::SpecFile = match toml::from_str(&src) {
                Ok(f) => f,
                Err(_) => return Ok(load(spec).err().unwrap_or(ExitCode::from(1))),
            };
            let mut report = emrest_codegen::xsd::compare::compare(&parsed, &file);
            if let Some(md) = &deviations {
                let text =
                    std::fs::read_to_string(md).map_err(|e| format!("cannot read {md}: {e}"))?;
                // The table follows a heading that names the schema file.
                let heading = std::path::Path::new(schema)
                    .file_name()
                    .map_or(schema.to_string(), |n| n.to_string_lossy().into_owned());
                let rows = emrest_codegen::xsd::compare::parse_deviations(&text, &heading)
                    .map_err(|e| format!("{md}: {e}"))?;
                report.diffs.retain(|d| !rows.iter().any(|r| r.covers(d)));
            }
            let done =
                emrest_codegen::xsd::complete::complete(&src, &parsed, &file, &report, &policy);
            eprintln!(
                "{spec}: {} fields added, {} `optional` changed, types added: [{}], enums added: [{}]",
                done.added,
                done.optional_changed,
                done.types_added.join(", "),
                done.enums_added.join(", ")
            );
            print!("{}", done.source);
            Ok(ExitCode::SUCCESS)
        }
        ["import-xsd", schema, rest @ ..] => {
            let only: Vec<String> = match rest {
                [] => Vec::new(),
                ["--types", list] => list
                    .split(',')
                    .map(|t| t.trim().to_string())
                    .filter(|t| !t.is_empty())
                    .collect(),
                _ => return Err(USAGE.to_string()),
            };
            let src = std::fs::read_to_string(schema)
                .map_err(|e| format!("cannot read {schema}: {e}"))?;
            let parsed = match emrest_codegen::xsd::parse_schema(&src) {
                Ok(s) => s,
                Err(n) => {
                    eprintln!("{schema}:{}: {}", n.line, n.message);
                    return Ok(ExitCode::from(1));
                }
            };
            let out = emrest_codegen::xsd::import(&parsed, &only);
            for n in &out.notes {
                eprintln!("{schema}:{}: note: {}", n.line, n.message);
            }
            print!("{}", out.toml);
            let missing = out.notes.iter().any(|n| n.line == 0);
            Ok(if missing {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        ["-h" | "--help" | "help"] => {
            println!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        _ => Err(USAGE.to_string()),
    }
}

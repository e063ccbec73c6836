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
                                         parse + check + emit (what the macro does) over RUNS";

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
        ["-h" | "--help" | "help"] => {
            println!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        _ => Err(USAGE.to_string()),
    }
}

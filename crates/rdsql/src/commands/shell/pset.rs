//! `\pset`, `\a`, `\t`: how tables are printed.

use super::*;

impl Shell {
    /// `\pset OPTION [VALUE]`, `\a`, `\t`.
    pub(super) fn pset(&mut self, args: &[String]) -> Result<(), String> {
        let Some(opt) = args.first() else {
            println!("expanded {}", self.expanded_name());
            println!("fieldsep '{}'", self.table.field_sep);
            println!(
                "format {}",
                if self.format != Format::Table {
                    self.format.name()
                } else if self.table.unaligned {
                    "unaligned"
                } else {
                    "aligned"
                }
            );
            println!("null '{}'", self.table.null);
            println!("recordsep {:?}", self.table.record_sep);
            println!(
                "tuples_only {}",
                if self.table.tuples_only { "on" } else { "off" }
            );
            return Ok(());
        };
        let val = args.get(1).map(String::as_str);
        match opt.as_str() {
            "null" => {
                if let Some(v) = val {
                    self.table.null = v.to_string();
                }
                println!("Null display is \"{}\".", self.table.null);
            }
            "tuples_only" => {
                self.table.tuples_only = on_off(val, self.table.tuples_only)?;
                self.say_tuples();
            }
            "fieldsep" => {
                if let Some(v) = val {
                    self.table.field_sep = v.to_string();
                }
                println!("Field separator is \"{}\".", self.table.field_sep);
            }
            "recordsep" => {
                if let Some(v) = val {
                    self.table.record_sep = v.to_string();
                }
                println!("Record separator is {:?}.", self.table.record_sep);
            }
            "expanded" | "x" => {
                self.expanded = match val {
                    Some("auto") => Expanded::Auto,
                    v => {
                        if on_off(v, self.expanded == Expanded::On)? {
                            Expanded::On
                        } else {
                            Expanded::Off
                        }
                    }
                };
                println!("Expanded display is {}.", self.expanded_name());
            }
            "format" => {
                match val {
                    Some("aligned") => {
                        self.format = Format::Table;
                        self.table.unaligned = false;
                    }
                    Some("unaligned") => {
                        self.format = Format::Table;
                        self.table.unaligned = true;
                    }
                    Some(f) => match <Format as clap::ValueEnum>::from_str(f, true) {
                        Ok(f) => self.format = f,
                        Err(_) => {
                            return Err(format!(
                                "\\pset format takes aligned, unaligned, csv, tsv, json, ndjson, markdown or html, not {f:?}"
                            ));
                        }
                    },
                    None => {}
                }
                self.say_format();
            }
            other => {
                return Err(format!(
                    "\\pset {other} is not supported; rdsql has null, tuples_only, format, fieldsep, recordsep and expanded"
                ));
            }
        }
        Ok(())
    }

    pub(super) fn expanded_name(&self) -> &'static str {
        match self.expanded {
            Expanded::On => "on",
            Expanded::Off => "off",
            Expanded::Auto => "auto",
        }
    }

    pub(super) fn say_tuples(&self) {
        println!(
            "Tuples only is {}.",
            if self.table.tuples_only { "on" } else { "off" }
        );
    }

    pub(super) fn say_format(&self) {
        let name = match self.format {
            Format::Table if self.table.unaligned => "unaligned",
            Format::Table => "aligned",
            f => f.name(),
        };
        println!("Output format is {name}.");
    }
}

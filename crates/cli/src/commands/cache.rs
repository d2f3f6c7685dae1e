//! `drydock cache …`

use std::process::ExitCode;

use anyhow::{Result, bail};

use crate::args::{CacheCommand, GlobalArgs};

pub fn run(global: &GlobalArgs, command: &CacheCommand) -> Result<ExitCode> {
    match command {
        CacheCommand::Clean => {
            let Some(cache) = super::source::cache(&GlobalArgs {
                no_cache: false,
                cache_dir: global.cache_dir.clone(),
                verbose: global.verbose,
                quiet: global.quiet,
            }) else {
                bail!("no cache directory: set XDG_CACHE_HOME, HOME or --cache-dir");
            };
            let freed = cache.clean()?;
            println!("removed {} ({} bytes)", cache.root().display(), freed);
            Ok(ExitCode::SUCCESS)
        }
    }
}

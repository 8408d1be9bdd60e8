//! `validator` for the reference subnet: the validator's command line ([`validator::cli`]) run
//! with the tweets task. A subnet of your own writes this file with its own task.

use std::process::ExitCode;

use bt_core::volume::VolumeWindow;
use bt_subnet_tweets::tweets::TweetsTask;

fn main() -> ExitCode {
    validator::cli::main(|| {
        Ok(TweetsTask::new(
            VolumeWindow::new(360)?,
            std::process::id().into(),
        ))
    })
}

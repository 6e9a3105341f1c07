# Shortcuts; each target is one of the scripts the README and docs/ describe.
.PHONY: run test el el-full-refresh bench db-start db-stop db-reset

run:             ## set up and run the main job end to end
	bash scripts/run.sh
test:            ## lint and run the tests
	bash scripts/test.sh
el:              ## incremental extract/load into the warehouse's raw layer
	bash scripts/el.sh
el-full-refresh: ## re-extract everything, ignoring the saved state
	bash scripts/el.sh --full-refresh
bench:           ## write-path and extract/load benchmarks (prints numbers)
	. .venv/bin/activate && python benchmarks/write_path.py && python benchmarks/extract_load.py
db-start db-stop db-reset:
	. .venv/bin/activate && lana-core db $(subst db-,,$@)

//! `iotctl` end to end against a real `--dev` node: the stories operators, certification
//! centres and manufacturers live, and the errors they meet, read from the command's output.

use clap::Parser;
use iotchain_client::{device_key_proof, parse_hash32, signer_from_suri, to_hex, DeviceKind};
use iotchain_testing::{free_port, DevNode};
use serde_json::Value;
use std::path::PathBuf;

/// Development accounts: Alice holds the sudo key; the others are funded but unknown to the
/// chain until an organisation takes them in.
const ALICE: &str = "//Alice";
const OPERATOR: &str = "//Bob";
const CERTIFIER: &str = "//Charlie";
const MANUFACTURER: &str = "//Dave";
const APPROVER: &str = "//Eve";
const STRANGER: &str = "//Ferdie";
/// Taken in by the manufacturer: a third admin, who only consents, and a technician member,
/// who leaves again and pays for that itself.
const QUALITY_LEAD: &str = "//acme//quality-lead";
const TECHNICIAN: &str = "//Ferdie//stash";

/// Runs one `iotctl` command line against `node`, signed with `suri` if given, and returns
/// what it printed, or its error as the one line `iotctl` would print.
async fn iotctl(node: &DevNode, suri: Option<&str>, args: &[&str]) -> Result<String, String> {
	let mut argv = vec!["iotctl".to_owned(), "--url".to_owned(), node.ws_url()];
	if let Some(suri) = suri {
		argv.extend(["--suri".to_owned(), suri.to_owned()]);
	}
	argv.extend(args.iter().map(|arg| arg.to_string()));
	let cli = iotctl::Cli::try_parse_from(argv).map_err(|error| error.to_string())?;
	let mut out = Vec::new();
	iotctl::run(cli, &mut out).await.map_err(|error| error.to_string())?;
	Ok(String::from_utf8(out).expect("iotctl prints UTF-8"))
}

/// Like [`iotctl`] with `--json`, parsing the output.
async fn iotctl_json(node: &DevNode, suri: Option<&str>, args: &[&str]) -> Value {
	let mut args = args.to_vec();
	args.push("--json");
	let output = iotctl(node, suri, &args)
		.await
		.unwrap_or_else(|error| panic!("iotctl {args:?}: {error}"));
	serde_json::from_str(&output).unwrap_or_else(|error| panic!("{error}: {output}"))
}

fn account(suri: &str) -> String {
	signer_from_suri(suri).unwrap().public_key().to_account_id().to_string()
}

/// A device id made from a label, as a registrant would hash a serial number.
fn device_id(label: &str) -> String {
	to_hex(&iotchain_certification_scheme::user_device_id(label.as_bytes()))
}

fn scratch_file(name: &str, contents: &[u8]) -> PathBuf {
	let dir = std::env::temp_dir().join(format!("iotctl-stories-{}", std::process::id()));
	std::fs::create_dir_all(&dir).unwrap();
	let path = dir.join(name);
	std::fs::write(&path, contents).unwrap();
	path
}

/// Alice (sudo) creates an organisation whose admin is `admin`; returns its id.
async fn create_org(node: &DevNode, name: &str, roles: &str, admin: &str) -> u64 {
	let admin = account(admin);
	let created = iotctl_json(
		node,
		Some(ALICE),
		&["org", "create", "--name", name, "--roles", roles, "--admin", &admin, "--via", "sudo"],
	)
	.await;
	let shown = iotctl_json(node, None, &["org", "show", &admin]).await;
	assert_eq!(shown["name"], name, "{created}");
	shown["id"].as_u64().unwrap()
}

/// `suri` consents to joining organisation `org` as `role` (`admin` or `member`) for the next
/// hundred blocks; returns what `org add-admin` and `org add-member` take after the account.
async fn consent(node: &DevNode, suri: &str, org: u64, role: &str) -> Vec<String> {
	let best = iotctl_json(node, None, &["chain", "info"]).await["best"].as_u64().unwrap();
	let (org, valid_until) = (org.to_string(), (best + 100).to_string());
	let args = ["org", "consent", "--org", &org, "--role", role, "--valid-until", &valid_until];
	let consent = iotctl_json(node, Some(suri), &args).await;
	assert_eq!(consent["account"], account(suri), "{consent}");
	let signature = consent["consent"].as_str().unwrap().to_owned();
	vec!["--consent".into(), signature, "--valid-until".into(), valid_until]
}

/// `admin` runs `org add-admin` or `org add-member` (`command`) for `suri`'s account, with the
/// account's `consent`.
async fn add_to_org(
	node: &DevNode,
	admin: &str,
	command: &str,
	suri: &str,
	consent: &[String],
) -> Result<String, String> {
	let account = account(suri);
	let mut args = vec!["org", command, &account];
	args.extend(consent.iter().map(String::as_str));
	iotctl(node, Some(admin), &args).await
}

/// A key file holding `suri`, readable by its owner only, as a factory keeps a device's key.
fn key_file(suri: &str) -> PathBuf {
	use std::os::unix::fs::PermissionsExt;
	let name = suri.trim_start_matches('/').replace('/', "-");
	let path = scratch_file(&format!("{name}.key"), suri.as_bytes());
	std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
	path
}

/// The chain's genesis hash, which key proofs name.
async fn genesis(node: &DevNode) -> [u8; 32] {
	let info = iotctl_json(node, None, &["chain", "info"]).await;
	parse_hash32("genesis", info["genesis"].as_str().unwrap()).unwrap()
}

async fn register_device(node: &DevNode, id: &str, kind: &str, model: &str, key: &str) {
	iotctl(
		node,
		Some(OPERATOR),
		&[
			"device",
			"register",
			"--id",
			id,
			"--kind",
			kind,
			"--model",
			model,
			"--device-key-file",
			key_file(key).to_str().unwrap(),
			"--firmware",
			"1.0.0",
		],
	)
	.await
	.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn an_operator_enrolls_a_thousand_devices_from_a_csv() {
	let node = DevNode::start();
	let org = create_org(&node, "Fleet Operator", "operator", OPERATOR).await;

	// The factory's file: each device's account and its key's proof for this organisation.
	let genesis = genesis(&node).await;
	let mut csv = String::from("id,kind,model,account,key_proof,metadata_hash,firmware\n");
	for index in 0..1000 {
		let (kind, key_kind) = if index % 100 == 0 {
			("gateway", DeviceKind::Gateway)
		} else {
			("device", DeviceKind::Device)
		};
		let id = device_id(&format!("th-{index}"));
		let key = signer_from_suri(&format!("//fleet//{index}")).unwrap();
		let id_bytes = parse_hash32("id", &id).unwrap();
		let (key_account, proof) =
			device_key_proof(&key, &genesis, org as u32, &key_kind, &id_bytes);
		csv += &format!("{id},{kind},TH-100,{key_account},{},,1.0.{}\n", to_hex(&proof), index % 3);
	}
	let file = scratch_file("fleet.csv", csv.as_bytes());
	let summary = iotctl_json(
		&node,
		Some(OPERATOR),
		&["device", "register-batch", file.to_str().unwrap(), "--per-extrinsic", "50"],
	)
	.await;
	assert_eq!(summary["registered"], 1000, "{summary}");
	assert_eq!(summary["extrinsics"], 20);
	assert_eq!(summary["failures"], Value::Array(vec![]));

	let listed = iotctl_json(&node, None, &["device", "list", "--org", &org.to_string()]).await;
	let listed = listed.as_array().unwrap();
	assert_eq!(listed.len(), 1000);
	assert_eq!(listed.iter().filter(|device| device["kind"] == "Gateway").count(), 10);

	let one = device_id("th-7");
	let shown = iotctl_json(&node, None, &["device", "show", &one]).await;
	assert_eq!(shown["model"], "TH-100");
	assert_eq!(shown["firmware"], "1.0.1");
	assert_eq!(shown["org"], org);
	assert_eq!(shown["status"], "Active");
	let by_account = iotctl_json(&node, None, &["device", "show", &account("//fleet//7")]).await;
	assert_eq!(by_account["id"], one);

	// Its lifecycle, each step visible in what `show` prints.
	let text = iotctl(&node, Some(OPERATOR), &["device", "suspend", &one]).await.unwrap();
	assert!(text.starts_with(&format!("device {one} suspended")), "{text}");
	assert!(text.contains("DeviceRegistry.DeviceSuspended"), "{text}");
	assert_eq!(iotctl_json(&node, None, &["device", "show", &one]).await["status"], "Suspended");
	iotctl(&node, Some(OPERATOR), &["device", "resume", &one]).await.unwrap();
	let new_key = account("//fleet//7//rotated");
	let new_key_file = key_file("//fleet//7//rotated");
	iotctl(
		&node,
		Some(OPERATOR),
		&["device", "rotate-key", &one, "--device-key-file", new_key_file.to_str().unwrap()],
	)
	.await
	.unwrap();
	assert_eq!(iotctl_json(&node, None, &["device", "show", &one]).await["account"], new_key);
	iotctl(&node, Some(OPERATOR), &["device", "revoke", &one]).await.unwrap();
	assert_eq!(iotctl_json(&node, None, &["device", "show", &one]).await["status"], "Revoked");

	// A file with a bad line registers nothing, and says which line.
	let bad =
		format!("{csv}0x12,device,TH-100,{},0x{},,1.0.0\n", account("//fleet//x"), "00".repeat(64));
	let bad_file = scratch_file("bad.csv", bad.as_bytes());
	let error =
		iotctl(&node, Some(OPERATOR), &["device", "register-batch", bad_file.to_str().unwrap()])
			.await
			.unwrap_err();
	assert!(error.contains("line 1002") && error.contains("malformed device id"), "{error}");

	// A batch the chain refuses reports each device it did not register, and fails.
	let again =
		scratch_file("again.csv", csv.lines().take(3).collect::<Vec<_>>().join("\n").as_bytes());
	let error =
		iotctl(&node, Some(OPERATOR), &["device", "register-batch", again.to_str().unwrap()])
			.await
			.unwrap_err();
	assert_eq!(error, "2 of 2 devices were not registered");

	// The attack: registering someone else's account (the certifier's admin) as a device, with
	// a "proof" the operator signed itself. The chain refuses it.
	let victim = account(CERTIFIER);
	let operator_key = signer_from_suri(OPERATOR).unwrap();
	let victim_id = device_id("not-a-device");
	let (_, forged) = device_key_proof(
		&operator_key,
		&genesis,
		org as u32,
		&DeviceKind::Device,
		&parse_hash32("id", &victim_id).unwrap(),
	);
	let error = iotctl(
		&node,
		Some(OPERATOR),
		&[
			"device",
			"register",
			"--id",
			&victim_id,
			"--model",
			"TH-100",
			"--account",
			&victim,
			"--key-proof",
			&to_hex(&forged),
		],
	)
	.await
	.unwrap_err();
	assert!(error.contains("DeviceRegistry::BadKeyProof"), "{error}");

	// A key that consented to being a sensor is no gateway's: its proof registers a device
	// only.
	let sensor = device_id("sensor-1");
	let sensor_key = key_file("//fleet//sensor-1");
	let proof = iotctl_json(
		&node,
		None,
		&[
			"device",
			"prove-key",
			"--device-key-file",
			sensor_key.to_str().unwrap(),
			"--device",
			&sensor,
			"--org",
			&org.to_string(),
		],
	)
	.await;
	assert_eq!(proof["kind"], "device", "{proof}");
	let register_as = |kind: &'static str| {
		let (node, sensor, proof) = (&node, sensor.clone(), proof.clone());
		async move {
			let args = [
				"device",
				"register",
				"--id",
				&sensor,
				"--kind",
				kind,
				"--model",
				"TH-100",
				"--account",
				proof["account"].as_str().unwrap(),
				"--key-proof",
				proof["key_proof"].as_str().unwrap(),
			];
			iotctl(node, Some(OPERATOR), &args).await
		}
	};
	let error = register_as("gateway").await.unwrap_err();
	assert!(error.contains("DeviceRegistry::BadKeyProof"), "{error}");
	register_as("device").await.unwrap();

	// A device goes back to its manufacturer, which puts its own key in as it accepts it: the
	// key the operator provisioned no longer signs for it.
	let acme = create_org(&node, "Acme Devices", "manufacturer", MANUFACTURER).await;
	let returned = device_id("th-8");
	let offer = ["device", "transfer", &returned, "--to", &acme.to_string()];
	iotctl(&node, Some(OPERATOR), &offer).await.unwrap();
	let acme_key = key_file("//acme//th-8");
	let accepted = iotctl(
		&node,
		Some(MANUFACTURER),
		&[
			"device",
			"accept-transfer",
			&returned,
			"--new-device-key-file",
			acme_key.to_str().unwrap(),
		],
	)
	.await
	.unwrap();
	let acme_account = account("//acme//th-8");
	assert!(
		accepted
			.starts_with(&format!("device {returned} accepted; it now signs with {acme_account}")),
		"{accepted}"
	);
	assert!(accepted.contains("DeviceRegistry.KeyRotated"), "{accepted}");
	let shown = iotctl_json(&node, None, &["device", "show", &returned]).await;
	assert_eq!(shown["org"], acme);
	assert_eq!(shown["account"], acme_account);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_user_device_logs_in_fails_until_locked_and_is_unlocked() {
	let node = DevNode::start();
	create_org(&node, "Operator", "operator", OPERATOR).await;
	let centre = create_org(&node, "Certification Centre", "certifier", CERTIFIER).await;
	let lock = device_id("smart-lock-1");
	register_device(&node, &lock, "device", "LOCK-1", "//lock-1").await;

	let register = [
		"hash",
		"register",
		"--device",
		&lock,
		"--user-identity",
		"alice@example.org",
		"--user-device-info",
		"pixel-9/serial-123",
		"--app-version",
		"2.1.0",
		"--app-checksum",
		"sha256:5d41402abc4b2a76",
	];
	// The certification centre records pairs only on locks whose owner granted it `register`.
	let refused = iotctl(&node, Some(CERTIFIER), &register).await.unwrap_err();
	assert!(refused.starts_with("RegistrationHashes::NoRegisterGrant: "), "{refused}");
	let centre = format!("org:{centre}");
	let on_lock = format!("device:{lock}");
	grant(&node, &centre, &on_lock, "register").await;

	let registered = iotctl_json(&node, Some(CERTIFIER), &register).await;
	assert_eq!(registered["version"], 1, "{registered}");
	let secret = registered["secret"].as_str().unwrap().to_owned();
	let user_device = registered["user_device"].as_str().unwrap().to_owned();
	// The owner lets the user device in, for a day.
	grant(&node, &format!("user-device:{user_device}"), &on_lock, "login").await;
	let shown = iotctl_json(
		&node,
		None,
		&["hash", "show", "--device", &lock, "--user-device", &user_device],
	)
	.await;
	assert_eq!(shown["credential"]["mode"], "hash");
	assert_eq!(shown["credential"]["combination"], 0b111);

	// One login: the device challenges, the user device answers, the certifier records it.
	let login = |answer_with: String| {
		let node = &node;
		let lock = lock.clone();
		let user_device = user_device.clone();
		let secret = secret.clone();
		async move {
			let challenge = iotctl_json(node, None, &["login", "challenge"]).await;
			let nonce = challenge["nonce"].as_str().unwrap().to_owned();
			let block = challenge["block"].to_string();
			let answer = iotctl_json(
				node,
				None,
				&["hash", "certify", "--secret", &answer_with, "--nonce", &nonce],
			)
			.await["certification_hash"]
				.as_str()
				.unwrap()
				.to_owned();
			iotctl(
				node,
				Some(CERTIFIER),
				&[
					"login",
					"record",
					"--device",
					&lock,
					"--user-device",
					&user_device,
					"--nonce",
					&nonce,
					"--challenge-block",
					&block,
					"--secret",
					&secret,
					"--certification-hash",
					&answer,
				],
			)
			.await
			.unwrap()
		}
	};
	assert!(login(secret.clone()).await.starts_with("login recorded: success"));

	// A wrong secret answers wrongly: MaxFailures (5) failures lock the pair.
	let wrong = to_hex(&[0x66; 32]);
	for attempt in 1..=5 {
		let text = login(wrong.clone()).await;
		assert!(text.starts_with("login recorded: failure (BadCertificationHash)"), "{text}");
		if attempt == 5 {
			assert!(text.contains("LoginRecords.PairLocked"), "{text}");
		}
	}
	let history = ["login", "history", "--device", &lock, "--user-device", &user_device];
	let locked = iotctl_json(&node, None, &history).await;
	assert_eq!(locked["pair"]["consecutive_failures"], 5);
	assert!(locked["pair"]["locked_since"].is_u64(), "{locked}");
	assert_eq!(locked["attempts"].as_array().unwrap().len(), 6);
	assert_eq!(locked["attempts"][0]["attempt"], 6, "newest first");

	// Even the right answer fails while locked, and is recorded as such.
	assert!(login(secret.clone()).await.starts_with("login recorded: failure (Locked)"));
	// Only the device's organisation unlocks it.
	let refused = iotctl(
		&node,
		Some(CERTIFIER),
		&["login", "unlock", "--device", &lock, "--user-device", &user_device],
	)
	.await
	.unwrap_err();
	assert!(refused.starts_with("LoginRecords::NotDeviceOrganisation: "), "{refused}");
	iotctl(
		&node,
		Some(OPERATOR),
		&["login", "unlock", "--device", &lock, "--user-device", &user_device],
	)
	.await
	.unwrap();
	assert_eq!(iotctl_json(&node, None, &history).await["pair"]["locked_since"], Value::Null);
	assert!(login(secret.clone()).await.starts_with("login recorded: success"));

	// Signature mode: the user device registers a key and the chain verifies its signature.
	let phone_key = signer_from_suri("//phone").unwrap().public_key().0;
	let phone = device_id("phone-2");
	iotctl(
		&node,
		Some(CERTIFIER),
		&[
			"hash",
			"register",
			"--device",
			&lock,
			"--user-device",
			&phone,
			"--user-key",
			&to_hex(&phone_key),
			"--app-version",
			"2.1.0",
			"--app-checksum",
			"sha256:5d41",
		],
	)
	.await
	.unwrap();
	let phone_login = || async {
		let challenge = iotctl_json(&node, None, &["login", "challenge"]).await;
		let (nonce, block) = (challenge["nonce"].as_str().unwrap(), challenge["block"].to_string());
		let args = [
			"login",
			"verify-signature",
			"--device",
			&lock,
			"--user-device",
			&phone,
			"--nonce",
			nonce,
			"--challenge-block",
			&block,
			"--user-suri",
			"//phone",
		];
		iotctl(&node, Some(CERTIFIER), &args).await.unwrap()
	};
	// The phone holds no `login` grant yet: its right signature is recorded as refused.
	let text = phone_login().await;
	assert!(text.starts_with("signed login: LoginRecorded"), "{text}");
	assert!(text.contains("NotGranted"), "{text}");
	let phone_subject = format!("user-device:{phone}");
	let check =
		["grant", "check", "--subject", &phone_subject, "--right", "login", "--device", &lock];
	assert_eq!(iotctl_json(&node, None, &check).await["allowed"], false);

	// Granted, it logs in; revoked, it is refused at once.
	let phone_grant = grant(&node, &phone_subject, &on_lock, "login").await;
	assert_eq!(iotctl_json(&node, None, &check).await["allowed"], true);
	let text = phone_login().await;
	assert!(text.contains("\"Success\""), "{text}");
	let revoke = ["grant", "revoke", &phone_grant.to_string()];
	let revoked = iotctl(&node, Some(OPERATOR), &revoke).await.unwrap();
	assert!(revoked.starts_with(&format!("grant {phone_grant} revoked")), "{revoked}");
	let text = phone_login().await;
	assert!(text.contains("NotGranted"), "{text}");
	let listed = iotctl_json(&node, None, &["grant", "list", "--object", &on_lock]).await;
	let subjects: Vec<_> =
		listed.as_array().unwrap().iter().map(|g| g["subject"].clone()).collect();
	assert_eq!(subjects, [Value::from(centre), Value::from(format!("user-device:{user_device}"))]);
}

/// The operator (a one-admin organisation, so its majority) grants `rights` on `object` to
/// `subject` for a day; returns the grant's number.
async fn grant(node: &DevNode, subject: &str, object: &str, rights: &str) -> u64 {
	let args = [
		"grant",
		"issue",
		"--subject",
		subject,
		"--object",
		object,
		"--rights",
		rights,
		"--until",
		"now+1d",
	];
	let issued = iotctl_json(node, Some(OPERATOR), &args).await;
	let summary = issued["summary"].as_str().unwrap();
	summary
		.strip_prefix("grant ")
		.and_then(|rest| rest.strip_suffix(" issued"))
		.and_then(|number| number.parse().ok())
		.unwrap_or_else(|| panic!("not issued: {issued}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_release_reaches_its_threshold_and_a_gateway_reports_the_fleet_update() {
	let node = DevNode::start();
	create_org(&node, "Operator", "operator", OPERATOR).await;
	let acme = create_org(&node, "Acme Devices", "manufacturer", MANUFACTURER).await;
	// Eve consents to joining Acme as an admin; its one admin is a majority of its admins.
	let eve_consent = consent(&node, APPROVER, acme, "admin").await;
	let added = add_to_org(&node, MANUFACTURER, "add-admin", APPROVER, &eve_consent)
		.await
		.unwrap();
	assert!(added.starts_with(&format!("admin {} added", account(APPROVER))), "{added}");
	// The manufacturer claims its model before any device of it is registered.
	iotctl(&node, Some(MANUFACTURER), &["firmware", "claim-model", "ACME-TH"])
		.await
		.unwrap();
	// One admin cannot make itself the only approver, nor set approvers alone.
	let alone = iotctl(
		&node,
		Some(MANUFACTURER),
		&["firmware", "approvers", "--threshold", "1", &account(MANUFACTURER)],
	)
	.await
	.unwrap_err();
	assert!(alone.contains("FirmwareReleases::BadThreshold"), "{alone}");
	let proposed = iotctl(
		&node,
		Some(MANUFACTURER),
		&["firmware", "approvers", "--threshold", "2", &account(MANUFACTURER), &account(APPROVER)],
	)
	.await
	.unwrap();
	assert!(proposed.starts_with("approvers proposed (threshold 2)"), "{proposed}");
	// An admin added by its co-admins is on probation: it could be the first admin's second
	// key, so it does not approve the first approver set until the consortium has had time to
	// see it join. Here the consortium vouches for Acme's admins at once.
	let approve_approvers = ["firmware", "approve-approvers"];
	let early = iotctl(&node, Some(APPROVER), &approve_approvers).await.unwrap_err();
	assert!(early.starts_with("FirmwareReleases::NotAllowedToApproveChange"), "{early}");
	let (dave, eve) = (account(MANUFACTURER), account(APPROVER));
	let set_admins = ["org", "set-admins", &acme.to_string(), &dave, &eve, "--via", "sudo"];
	let vouched = iotctl(&node, Some(ALICE), &set_admins).await.unwrap();
	assert!(vouched.contains("DeviceRegistry.AdminsSet"), "{vouched}");
	let approved = iotctl(&node, Some(APPROVER), &approve_approvers).await.unwrap();
	assert!(approved.starts_with("approvers set"), "{approved}");

	// With two admins, a third needs both: the first approval leaves the change pending, the
	// second (with the same consent) adds her.
	let lead_consent = consent(&node, QUALITY_LEAD, acme, "admin").await;
	let first = add_to_org(&node, MANUFACTURER, "add-admin", QUALITY_LEAD, &lead_consent)
		.await
		.unwrap();
	assert!(first.starts_with("admin change approved (1 approvals so far)"), "{first}");
	let second = add_to_org(&node, APPROVER, "add-admin", QUALITY_LEAD, &lead_consent)
		.await
		.unwrap();
	assert!(second.starts_with(&format!("admin {} added", account(QUALITY_LEAD))), "{second}");
	// A member's consent makes no admin; the technician joins as a member, and leaves.
	let technician_consent = consent(&node, TECHNICIAN, acme, "member").await;
	let promoted = add_to_org(&node, MANUFACTURER, "add-admin", TECHNICIAN, &technician_consent)
		.await
		.unwrap_err();
	assert!(promoted.starts_with("DeviceRegistry::BadConsent"), "{promoted}");
	add_to_org(&node, MANUFACTURER, "add-member", TECHNICIAN, &technician_consent)
		.await
		.unwrap();
	let show = ["org", "show", &acme.to_string()];
	let shown = iotctl_json(&node, None, &show).await;
	assert_eq!(shown["admins"].as_array().unwrap().len(), 3, "{shown}");
	assert_eq!(shown["members"], serde_json::json!([account(TECHNICIAN)]));
	let left = iotctl(&node, Some(TECHNICIAN), &["org", "leave"]).await.unwrap();
	assert!(left.starts_with(&format!("left organisation {acme}")), "{left}");
	assert_eq!(iotctl_json(&node, None, &show).await["members"], serde_json::json!([]));

	let thermostat = device_id("thermostat-1");
	let gateway = device_id("gateway-1");
	register_device(&node, &thermostat, "device", "ACME-TH", "//thermostat-1").await;
	register_device(&node, &gateway, "gateway", "ACME-GW", "//gateway-1").await;
	iotctl(&node, Some(OPERATOR), &["device", "assign-gateway", &thermostat, &gateway])
		.await
		.unwrap();

	let image = scratch_file("acme-th-1.1.0.bin", &[0x5a; 300_000]);
	let published = iotctl_json(
		&node,
		Some(MANUFACTURER),
		&[
			"firmware",
			"publish",
			"--model",
			"ACME-TH",
			"--version",
			"1.1.0",
			"--image",
			image.to_str().unwrap(),
			"--uri",
			"https://updates.acme.example/th/1.1.0.bin",
		],
	)
	.await;
	let release = published["release"].as_u64().unwrap().to_string();
	let pending = iotctl_json(&node, None, &["firmware", "show", &release]).await;
	assert_eq!(pending["status"], "pending");
	assert_eq!(pending["image_size"], 300_000);
	assert_eq!(pending["approvals"].as_array().unwrap().len(), 1);

	// The gateway reports the thermostat's install of an image it measured.
	let report = |image: PathBuf| {
		let (node, thermostat, release) = (&node, thermostat.clone(), release.clone());
		async move {
			let image = image.to_str().unwrap().to_owned();
			let args = [
				"firmware",
				"report",
				"--device",
				&thermostat,
				"--release",
				&release,
				"--image",
				&image,
			];
			iotctl(node, Some("//gateway-1"), &args).await
		}
	};
	// Until it is active, no device may install it.
	let early = report(image.clone()).await.unwrap_err();
	assert_eq!(
		early,
		"FirmwareReleases::NotActive: The release is not active: still pending, or yanked."
	);

	let approved = iotctl(&node, Some(APPROVER), &["firmware", "approve", &release]).await.unwrap();
	assert!(
		approved.starts_with(&format!("release {release} approved and now active")),
		"{approved}"
	);

	// An image that is not the release's is refused; the release's own is recorded.
	let tampered = report(scratch_file("tampered.bin", &[0x00; 300_000])).await.unwrap_err();
	assert_eq!(
		tampered,
		"FirmwareReleases::HashMismatch: The measured image hash is not the release's."
	);
	report(image.clone()).await.unwrap();

	let fleet = iotctl_json(&node, None, &["firmware", "status", "ACME-TH"]).await;
	assert_eq!(fleet["latest"]["release"].to_string(), release);
	assert_eq!(fleet["releases"][0]["devices"], 1);
	assert_eq!(fleet["behind_latest"], 0);
	assert_eq!(
		iotctl_json(&node, None, &["device", "show", &thermostat]).await["firmware"],
		"1.1.0"
	);
	let on_release = iotctl_json(&node, None, &["firmware", "devices", &release]).await;
	assert_eq!(on_release, serde_json::json!([thermostat]));

	// One approver's yank is an approval, not a yank: the threshold is 2, as for releases.
	let yank = ["firmware", "yank", &release, "--reason", "vulnerable"];
	let first = iotctl(&node, Some(MANUFACTURER), &yank).await.unwrap();
	assert!(first.contains("approved (1 approvals so far)"), "{first}");
	let fleet = iotctl_json(&node, None, &["firmware", "status", "ACME-TH"]).await;
	assert_eq!(fleet["latest"]["release"].to_string(), release);
	// The second approver completes it; it counts the device as on a yanked release.
	let second = iotctl(&node, Some(APPROVER), &yank).await.unwrap();
	assert!(second.contains(&format!("release {release} yanked")), "{second}");
	let fleet = iotctl_json(&node, None, &["firmware", "status", "ACME-TH"]).await;
	assert_eq!(fleet["on_yanked"], 1);
	assert_eq!(fleet["latest"], Value::Null);
	let text = iotctl(&node, None, &["firmware", "status", "ACME-TH"]).await.unwrap();
	assert!(text.starts_with("ACME-TH: no installable release\n"), "{text}");
}

/// The free balance of the client's signing account.
async fn free_balance(client: &iotchain_client::Client) -> u128 {
	let account = client.signer_account().unwrap();
	let at = client.api().at_current_block().await.unwrap();
	let address = iotchain_client::runtime::storage().system().account();
	at.storage()
		.fetch(address, (account,))
		.await
		.unwrap()
		.decode()
		.unwrap()
		.data
		.free
}

#[tokio::test(flavor = "multi_thread")]
async fn a_device_records_its_pairs_in_batches_and_a_foreign_one_fails_alone() {
	use iotchain_client::{runtime, Client, Combination, Credential, PairRegistration, Wait};
	let node = DevNode::start();
	create_org(&node, "Operator", "operator", OPERATOR).await;
	let (own, other) = (device_id("lock-1"), device_id("lock-2"));
	register_device(&node, &own, "device", "LOCK-1", "//lock-1").await;
	register_device(&node, &other, "device", "LOCK-1", "//lock-2").await;

	let phone = |label: &str| iotchain_certification_scheme::user_device_id(label.as_bytes());
	let pair = |device: &str, user: &str| PairRegistration {
		device: parse_hash32("device", device).unwrap(),
		user_device: phone(user),
		credential: Credential::Hash {
			registration_hash: phone("R"),
			combination: Combination(0b101),
		},
		app_integrity_key: [7; 32],
	};
	let lock = Client::connect(&node.ws_url())
		.await
		.unwrap()
		.with_signer(signer_from_suri("//lock-1").unwrap());

	// Three pairs of its own, two to a call: feeless, though the device holds nothing.
	let pairs = vec![pair(&own, "phone-1"), pair(&own, "phone-2"), pair(&own, "phone-3")];
	let outcomes = lock.register_pairs(pairs, 2, Wait::Finalised, |_| {}).await.unwrap();
	assert_eq!(outcomes.iter().map(|(pairs, _)| pairs.len()).collect::<Vec<_>>(), [2, 1]);
	for (pairs, outcome) in &outcomes {
		let receipt = outcome.as_ref().unwrap();
		let registered = receipt.find::<runtime::registration_hashes::events::Registered>();
		assert_eq!(registered.count(), pairs.len(), "{receipt:?}");
	}
	assert_eq!(free_balance(&lock).await, 0);

	// A call naming another device pays: unfunded, the pool refuses it.
	let mixed = vec![pair(&own, "phone-4"), pair(&other, "phone-5")];
	let refused = lock.register_pairs(mixed.clone(), 2, Wait::Finalised, |_| {}).await.unwrap();
	let error = refused[0].1.as_ref().unwrap_err().to_string();
	assert!(error.contains("balance too low"), "{error}");

	// Funded, the same call is included and paid for; the foreign pair alone is refused.
	let alice = Client::connect(&node.ws_url())
		.await
		.unwrap()
		.with_signer(signer_from_suri(ALICE).unwrap());
	let fund = runtime::tx()
		.balances()
		.transfer_keep_alive(lock.signer_account().unwrap().into(), 1_000_000_000_000);
	alice.submit(&fund, Wait::Finalised).await.unwrap();
	let funded = free_balance(&lock).await;
	let outcomes = lock.register_pairs(mixed, 2, Wait::Finalised, |_| {}).await.unwrap();
	let receipt = outcomes[0].1.as_ref().unwrap();
	let failed = receipt
		.find::<runtime::registration_hashes::events::BatchItemFailed>()
		.map(|failed| failed.unwrap().index)
		.collect::<Vec<_>>();
	assert_eq!(failed, [1], "{receipt:?}");
	assert!(free_balance(&lock).await < funded);
	let own_id = parse_hash32("device", &own).unwrap();
	let other_id = parse_hash32("device", &other).unwrap();
	assert!(lock.latest_registration(own_id, phone("phone-4")).await.unwrap().is_some());
	assert!(lock.latest_registration(other_id, phone("phone-5")).await.unwrap().is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_input_and_refusals_give_one_clear_line() {
	let node = DevNode::start();
	create_org(&node, "Operator", "operator", OPERATOR).await;

	let malformed = iotctl(&node, None, &["device", "show", "0x1234"]).await.unwrap_err();
	assert_eq!(malformed, "malformed device id '0x1234': expected 32 bytes, got 2");
	let unknown = device_id("never-registered");
	let missing = iotctl(&node, None, &["device", "show", &unknown]).await.unwrap_err();
	assert_eq!(missing, format!("no device {unknown} on chain"));

	let dispatch = iotctl(&node, Some(OPERATOR), &["device", "revoke", &unknown])
		.await
		.unwrap_err();
	assert_eq!(dispatch, "DeviceRegistry::DeviceNotFound: No device or gateway has this id.");

	let stranger = iotctl(
		&node,
		Some(STRANGER),
		&[
			"device",
			"register",
			"--id",
			&unknown,
			"--model",
			"X",
			"--account",
			&account("//x"),
			"--key-proof",
			&format!("0x{}", "00".repeat(64)),
		],
	)
	.await
	.unwrap_err();
	assert!(stranger.starts_with("Admission: the chain does not know the signer 5"), "{stranger}");

	// Governance: a call failing inside sudo or inside an executed motion is that call's error.
	let stranger_account = account(STRANGER);
	let create = |name: &str, via: &str| {
		let args = ["org", "create", "--name", name, "--roles", "certifier", "--admin"];
		let mut args: Vec<String> = args.iter().map(|arg| arg.to_string()).collect();
		args.extend([stranger_account.clone(), "--via".into(), via.into()]);
		args
	};
	let too_long = create(&"x".repeat(65), "sudo");
	let too_long: Vec<&str> = too_long.iter().map(String::as_str).collect();
	let inner = iotctl(&node, Some(ALICE), &too_long).await.unwrap_err();
	assert_eq!(
		inner,
		"DeviceRegistry::BadOrgName: The organisation name is empty or longer than `MaxNameLen`."
	);
	// The development council has one seat, so Alice's motion executes at once.
	let by_council = create("Council Made", "council");
	let by_council: Vec<&str> = by_council.iter().map(String::as_str).collect();
	iotctl(&node, Some(ALICE), &by_council).await.unwrap();
	let shown = iotctl_json(&node, None, &["org", "show", &stranger_account]).await;
	assert_eq!(shown["name"], "Council Made");
	assert_eq!(shown["roles"], serde_json::json!(["certifier"]));
	let again = iotctl(&node, Some(ALICE), &by_council).await.unwrap_err();
	assert_eq!(
		again,
		"DeviceRegistry::AccountAlreadyInOrg: The account already serves an organisation (this one \
		 or another)."
	);

	let no_signer = iotctl(&node, None, &["device", "revoke", &unknown]).await.unwrap_err();
	assert_eq!(no_signer, "this needs a signing key: pass --suri or --key-file");

	let missing_file =
		iotctl(&node, Some(OPERATOR), &["device", "register-batch", "/nonexistent.csv"])
			.await
			.unwrap_err();
	assert!(missing_file.starts_with("cannot read /nonexistent.csv"), "{missing_file}");

	let port = free_port();
	let argv = ["iotctl", "--url", &format!("ws://127.0.0.1:{port}"), "chain", "info"];
	let down = iotctl::run(iotctl::Cli::try_parse_from(argv).unwrap(), &mut Vec::new())
		.await
		.unwrap_err()
		.to_string();
	assert!(down.starts_with(&format!("cannot reach the node at ws://127.0.0.1:{port}")), "{down}");

	// What a read prints, as text and as JSON.
	let info = iotctl_json(&node, None, &["chain", "info"]).await;
	assert_eq!(info["chain"], "iotchain development");
	let validators = iotctl(&node, None, &["chain", "validators"]).await.unwrap();
	assert!(validators.contains(&format!("{}\tactive, planned", account(ALICE))), "{validators}");
	assert!(validators.contains(" at finalised block #"), "{validators}");
	let at_best = iotctl_json(&node, None, &["chain", "validators", "--best"]).await;
	assert_eq!(at_best["best"], true);
	assert_eq!(at_best["planned"], serde_json::json!([account(ALICE)]));
	assert_eq!(at_best["active"], serde_json::json!([account(ALICE)]));
	let watched = iotctl_json(&node, None, &["chain", "watch", "--blocks", "1"]).await;
	assert!(watched["block"]["number"].is_u64(), "{watched}");
	// The dev node runs this tree's runtime, whose metadata the client's committed artifact is
	// (client/tests/metadata.rs): what scripts/refresh-metadata.sh writes is that, byte for byte.
	let out = scratch_file("metadata.scale", b"");
	let args = ["chain", "metadata", "--out", out.to_str().unwrap()];
	let written = iotctl_json(&node, None, &args).await;
	let committed: &[u8] = include_bytes!("../../client/artifacts/iotchain.scale");
	assert!(std::fs::read(&out).unwrap() == committed, "the committed metadata, byte for byte");
	assert_eq!(written["bytes"], committed.len(), "{written}");
	let members = iotctl_json(&node, None, &["council", "members"]).await;
	assert_eq!(members, serde_json::json!([account(ALICE)]));
	// A validator withdraws itself without a vote, but not below the minimum: the development
	// chain's only validator stays.
	let alone = iotctl(&node, Some(ALICE), &["validator", "withdraw"]).await.unwrap_err();
	assert_eq!(
		alone,
		"ValidatorSet::TooFewValidators: The removal would leave fewer than `MinValidators` \
		 approved validators."
	);
	assert!(parse_hash32("id", &unknown).is_ok());
}

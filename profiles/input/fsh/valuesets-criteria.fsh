// Criterion ValueSets. Every code and display comes from ../shared/reference/terminology.md
// (each row there names its source). Displays are the preferred terms: where the table gives a
// SNOMED CT fully specified name, the semantic tag "(disorder)" / "(finding)" is dropped, as the
// table's own reading notes advise for Coding.display. The service cannot expand SNOMED CT
// hierarchies offline, so every ValueSet lists its concepts explicitly.

ValueSet: OmsCriterionNeuroblastoma
Id: oms-criterion-neuroblastoma
Title: "OMS criterion: neuroblastoma"
Description: "Codes that record a neuroblastoma or ganglioneuroblastoma (criterion 1), at any age. Excluded on purpose, and listed as exclusions so that a concept also coded with one of them does not count: olfactory neuroblastoma (esthesioneuroblastoma) and neuroblastoma of brain, which are not the peripheral neuroblastic tumours of OMS. Also left out: benign ganglioneuroma (ICD-O-3 9490/0); ICD-O-3 topography codes alone (a site, not a tumour); urinary HVA/VMA/catecholamine findings (suggestive, not diagnostic; they belong to the work-up); the unverified SNOMED CT code 69515008 and the morphology 87364003. ICD-10 and ICD-10-CM have no histology codes: their site codes are in the ValueSet oms-criterion-neuroblastoma-site, which counts only in children."
* ^status = #active
* ^experimental = false
* $SCT#432328008 "Neuroblastoma"
* $SCT#281562007 "Adrenal neuroblastoma"
* $SCT#281563002 "Thoracic neuroblastoma"
* $SCT#281564008 "Pelvic neuroblastoma"
* $SCT#281565009 "Paraspinal neuroblastoma"
* $SCT#281566005 "Abdominothoracic neuroblastoma"
* $SCT#704152002 "Metastatic neuroblastoma"
* $SCT#414676007 "Metastatic neuroblastoma of orbit proper"
* $ICDO3#9500/3 "Neuroblastoma, NOS"
* $ICDO3#9490/3 "Ganglioneuroblastoma"
* $HPO#HP:0003006 "Neuroblastoma"
* $HPO#HP:0006747 "Ganglioneuroblastoma"
* $HPO#HP:0006768 "Localized neuroblastoma"
* $HPO#HP:0006742 "Congenital neuroblastoma"
* $ORPHA#635 "Neuroblastoma"
* $ORPHA#251877 "Ganglioneuroblastoma"
* $SCT#116381000119105 "Ganglioneuroblastoma"
* $SCT#116381000119105 ^extension[0].url = $VSCOMMENT
* $SCT#116381000119105 ^extension[0].valueString = "Meaning verified (MONDO exact match; HPO HP:0006747 cross-reference); a US-extension concept whose display is UNVERIFIED."
* exclude $SCT#281560004 "Neuroblastoma of brain"
* exclude $SCT#422886007 "Olfactory neuroblastoma"
* exclude $ORPHA#1957 "Esthesioneuroblastoma"

ValueSet: OmsCriterionNeuroblastomaSite
Id: oms-criterion-neuroblastoma-site
Title: "OMS criterion: neuroblastoma, by site (children only)"
Description: "ICD-10 and ICD-10-CM codes that name only the site of a malignant neoplasm (adrenal medulla and gland, peripheral nerves, retroperitoneum, mediastinum). Neither classification has a histology code for neuroblastoma, so in a child these site codes are how a neuroblastoma is usually coded; in an adult they usually mean another tumour (a phaeochromocytoma, an adrenal carcinoma, a sarcoma). They count for the neuroblastoma criterion only when the patient was under 18 at the Condition's onset (or its recorded date, or today), or when the age is unknown: the usage contexts say so (focus: the criterion; age: 0 to 17 completed years)."
* ^status = #active
* ^experimental = false
* ^useContext[0].code = $UCTX#focus
* ^useContext[0].valueCodeableConcept = $OMSCRIT#neuroblastoma "Neuroblastoma"
* ^useContext[1].code = $UCTX#age
* ^useContext[1].valueRange.low = 0 'a' "years"
* ^useContext[1].valueRange.high = 17 'a' "years"
* $ICD10CM#C74.10 "Malignant neoplasm of medulla of unspecified adrenal gland"
* $ICD10CM#C74.11 "Malignant neoplasm of medulla of right adrenal gland"
* $ICD10CM#C74.12 "Malignant neoplasm of medulla of left adrenal gland"
* $ICD10CM#C74.90 "Malignant neoplasm of unspecified part of unspecified adrenal gland"
* $ICD10CM#C74.91 "Malignant neoplasm of unspecified part of right adrenal gland"
* $ICD10CM#C74.92 "Malignant neoplasm of unspecified part of left adrenal gland"
* $ICD10CM#C47.3 "Malignant neoplasm of peripheral nerves of thorax"
* $ICD10CM#C47.4 "Malignant neoplasm of peripheral nerves of abdomen"
* $ICD10CM#C47.5 "Malignant neoplasm of peripheral nerves of pelvis"
* $ICD10CM#C47.9 "Malignant neoplasm of peripheral nerves and autonomic nervous system, unspecified"
* $ICD10CM#C48.0 "Malignant neoplasm of retroperitoneum"
* $ICD10CM#C38.3 "Malignant neoplasm of mediastinum, part unspecified"
* $ICD10#C74.1 "Malignant neoplasm: Medulla of adrenal gland"
* $ICD10#C74.9 "Malignant neoplasm: Adrenal gland, unspecified"
* $ICD10#C47.3 "Malignant neoplasm: Peripheral nerves of thorax"
* $ICD10#C47.4 "Malignant neoplasm: Peripheral nerves of abdomen"
* $ICD10#C47.9 "Malignant neoplasm: Peripheral nerves and autonomic nervous system, unspecified"
* $ICD10#C48.0 "Malignant neoplasm: Retroperitoneum"
* $ICD10#C38.3 "Malignant neoplasm: Mediastinum, part unspecified"

ValueSet: OmsCriterionOpsoclonus
Id: oms-criterion-opsoclonus
Title: "OMS criterion: opsoclonus"
Description: "Codes that record opsoclonus (criterion 2), including ocular flutter. Excluded on purpose: broader eye-movement terms that include nystagmus, slow saccades or macrosaccadic oscillations (HPO HP:0032104 Saccadic oscillation, HP:0012547, HP:0000570; ICD-10 H55; ICD-10-CM H57.89). ICD-10-CM H55.89 is included although its mapping to opsoclonus rests on practice, not on the tabular (ICD-10-CM has no opsoclonus code)."
* ^status = #active
* ^experimental = false
* $HPO#HP:0010543 "Opsoclonus"
* $HPO#HP:0031931 "Ocular flutter"
* $SCT#194177006 "Opsoclonus"
* $SCT#194177006 ^extension[0].url = $VSCOMMENT
* $SCT#194177006 ^extension[0].valueString = "Meaning from the HPO 2025-01-16 cross-reference on HP:0010543 (Opsoclonus); the SNOMED CT display and active status are UNVERIFIED."
// UNVERIFIED mapping: display verified (CMS tabular 2026), fit to opsoclonus not verified.
* $ICD10CM#H55.89 "Other irregular eye movements"
* $ICD10CM#H55.89 ^extension[0].url = "http://hl7.org/fhir/StructureDefinition/valueset-concept-comments"
* $ICD10CM#H55.89 ^extension[0].valueString = "UNVERIFIED mapping: the display is verified, its fit to opsoclonus is not (ICD-10-CM has no opsoclonus code)."

ValueSet: OmsCriterionMyoclonusAtaxia
Id: oms-criterion-myoclonus-ataxia
Title: "OMS criterion: myoclonus and/or ataxia"
Description: "Codes that record myoclonus or ataxia (criterion 3). Excluded on purpose, and listed as exclusions so that a concept also coded with one of them does not count: myoclonic seizure (epileptic, not OMS myoclonus) and sleep myoclonus (physiological). Also left out: HPO HP:0032794 (myoclonic seizure), sensory ataxia (SNOMED CT 445458007; not cerebellar), and the unverified SNOMED CT code 250067008."
* ^status = #active
* ^experimental = false
* $SCT#17450006 "Myoclonus"
* $SCT#20262006 "Ataxia"
* $SCT#85102008 "Cerebellar ataxia"
* $SCT#25136009 "Ataxic gait"
* $SCT#365884000 "Cerebellar ataxic gait"
* $SCT#163686004 "On examination - gait ataxic"
* $ICD10CM#G25.3 "Myoclonus"
* $ICD10CM#R27.0 "Ataxia, unspecified"
* $ICD10CM#R26.0 "Ataxic gait"
* $ICD10CM#R27.8 "Other lack of coordination"
* $ICD10CM#G32.81 "Cerebellar ataxia in diseases classified elsewhere"
* $ICD10#G25.3 "Myoclonus"
* $ICD10#R27.0 "Ataxia, unspecified"
* $ICD10#R26.0 "Ataxic gait"
* $ICD10#R27.8 "Other and unspecified lack of coordination"
* $HPO#HP:0001336 "Myoclonus"
* $HPO#HP:0034360 "Action myoclonus"
* $HPO#HP:0045084 "Limb myoclonus"
* $HPO#HP:0001251 "Ataxia"
* $HPO#HP:0002066 "Gait ataxia"
* $HPO#HP:0002078 "Truncal ataxia"
* $HPO#HP:0002070 "Limb ataxia"
* $HPO#HP:0002470 "Nonprogressive cerebellar ataxia"
* exclude $SCT#37356005 "Myoclonic seizure"
* exclude $HPO#HP:0012323 "Sleep myoclonus"

ValueSet: OmsCriterionBehaviorSleep
Id: oms-criterion-behavior-sleep
Title: "OMS criterion: behavioural and/or sleep disturbance"
Description: "Codes that record a behavioural or sleep disturbance (criterion 4): irritability, aggression, rage and temper tantrums, emotional lability, agitation, hyperactivity, insomnia and other sleep disorders. Excluded on purpose: the unverified SNOMED CT code 248004009 (violent behaviour). Nonorganic/primary insomnia (ICD-10 F51.0, ICD-10-CM F51.01) is usually the wrong code for OMS insomnia but still records insomnia, so it counts."
* ^status = #active
* ^experimental = false
* $SCT#55929007 "Feeling irritable"
* $SCT#61372001 "Aggressive behavior"
* $SCT#277843001 "Problem behavior"
* $SCT#248036002 "Problematic behavior in children"
* $SCT#44548000 "Hyperactive behavior"
* $SCT#24199005 "Feeling agitated"
* $SCT#18963009 "Mood swings"
* $SCT#193462001 "Insomnia"
* $SCT#191997003 "Persistent insomnia"
* $SCT#268652009 "Transient insomnia"
* $SCT#90361000119105 "Behavioral insomnia of childhood"
* $SCT#288081000119106 "Behavioral insomnia of childhood, combined type"
* $SCT#288091000119109 "Behavioral insomnia of childhood, limit setting type"
* $SCT#288101000119104 "Behavioral insomnia of childhood, sleep onset association type"
* $SCT#39898005 "Sleep disorder"
* $SCT#53888004 "Disturbance in sleep behavior"
* $SCT#301345002 "Difficulty sleeping"
* $SCT#314938000 "Poor sleep pattern"
* $SCT#271794005 "Disorder of sleep-wake cycle"
* $ICD10CM#R45.4 "Irritability and anger"
* $ICD10CM#R45.6 "Violent behavior"
* $ICD10CM#R45.87 "Impulsiveness"
* $ICD10CM#R46.89 "Other symptoms and signs involving appearance and behavior"
* $ICD10CM#G47.00 "Insomnia, unspecified"
* $ICD10CM#G47.01 "Insomnia due to medical condition"
* $ICD10CM#G47.09 "Other insomnia"
* $ICD10CM#G47.9 "Sleep disorder, unspecified"
* $ICD10CM#F51.01 "Primary insomnia"
* $ICD10#R45.4 "Irritability and anger"
* $ICD10#R45.6 "Physical violence"
* $ICD10#G47.0 "Disorders of initiating and maintaining sleep [insomnias]"
* $ICD10#G47.9 "Sleep disorder, unspecified"
* $ICD10#F51.0 "Nonorganic insomnia"
* $HPO#HP:0000737 "Irritability"
* $HPO#HP:0000718 "Aggressive behavior"
* $HPO#HP:0008760 "Violent behavior"
* $HPO#HP:0025160 "Abnormal temper tantrums"
* $HPO#HP:0025161 "Frequent temper tantrums"
* $HPO#HP:0025162 "Severe temper tantrums"
* $HPO#HP:0000712 "Emotional lability"
* $HPO#HP:0000713 "Agitation"
* $HPO#HP:0000752 "Hyperactivity"
* $HPO#HP:0000708 "Atypical behavior"
* $HPO#HP:0002360 "Sleep abnormality"
* $HPO#HP:0100785 "Insomnia"
* $HPO#HP:0031354 "Sleep onset insomnia"
* $HPO#HP:0031355 "Maintenance insomnia"
* $HPO#HP:0006979 "Sleep-wake cycle disturbance"

ValueSet: OmsDiagnosis
Id: oms-diagnosis
Title: "Opsoclonus myoclonus syndrome diagnosis"
Description: "Codes that record the diagnosis of opsoclonus myoclonus syndrome itself. A Condition with one of them (not refuted, not entered in error) makes the conclusion certain: the criteria are still shown, and the therapy checklist is proposed. Not included: ICD-10 G25.3 (Myoclonus), Orphanet's ICD-10 alignment for OMS, which is not specific; SNOMED CT 192845009 (Myoclonic encephalopathy), an epilepsy concept."
* ^status = #active
* ^experimental = false
* $ORPHA#1183 "Opsoclonus-myoclonus syndrome"
* $SCT#230350000 "Opsoclonus-myoclonus syndrome"
* $SCT#230350000 ^extension[0].url = $VSCOMMENT
* $SCT#230350000 ^extension[0].valueString = "Meaning verified (MONDO:0015247 exact match); the SNOMED CT display and active status are UNVERIFIED."
